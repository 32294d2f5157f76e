"""Where each key of a policy file stands: the line of every table, key and array element.

``tomllib`` gives values without positions, and the checks of ``files`` name the key at fault by
its path (``programs.training.parameters.cap_per_worker.values[0].value``). To tell the person who
uploaded a file which line to fix, the text is scanned once more here, for positions only: it has
already parsed, so the scanner reads valid TOML and needs none of TOML's checks — only enough of
its grammar (tables, arrays of tables, dotted and quoted keys, strings of four kinds, arrays and
inline tables) not to mistake a bracket inside a string or a comment for structure.
"""

from __future__ import annotations

import bisect
import re
import tomllib

from marketplace.subsidies.policy.files import KeyPath

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SYNTAX_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_SCALAR_END = frozenset(",]}\n#")


def syntax_position(error: tomllib.TOMLDecodeError, text: str) -> tuple[int, int | None]:
    """The line and column of a TOML syntax error (its message says them; the end otherwise)."""
    found = _SYNTAX_AT.search(str(error))
    if found:
        return int(found.group(1)), int(found.group(2))
    return text.count("\n") + 1, None


class _Scanner:
    """One pass over a valid TOML text, noting the line on which each key path first appears."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.newlines = [i for i, char in enumerate(text) if char == "\n"]
        self.lines: dict[KeyPath, int] = {(): 1}
        self.arrays: dict[KeyPath, int] = {}  # arrays of tables: how many elements so far

    # --- reading --------------------------------------------------------------------------

    def line(self) -> int:
        return bisect.bisect_left(self.newlines, self.at) + 1

    def peek(self, count: int = 1) -> str:
        return self.text[self.at : self.at + count]

    def blank(self, newlines: bool = False) -> None:
        """Skip spaces (and, when asked, line ends and comments)."""
        while self.at < len(self.text):
            char = self.text[self.at]
            if char in " \t\r" or (newlines and char == "\n"):
                self.at += 1
            elif newlines and char == "#":
                end = self.text.find("\n", self.at)
                self.at = len(self.text) if end < 0 else end
            else:
                return

    def note(self, path: KeyPath, line: int) -> None:
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], line)

    def key(self) -> list[str]:
        """A dotted key's parts, quotes decoded."""
        parts = []
        while True:
            self.blank()
            char = self.peek()
            if char in ('"', "'"):
                start = self.at
                self.string()
                parts.append(tomllib.loads(f"k = {self.text[start : self.at]}")["k"])
            else:
                found = _BARE.match(self.text, self.at)
                if found is None:
                    raise ValueError("no key")
                parts.append(found.group())
                self.at = found.end()
            self.blank()
            if self.peek() != ".":
                return parts
            self.at += 1

    def string(self) -> None:
        """Skip a string of any of the four kinds."""
        quote = self.peek()
        if self.peek(3) == quote * 3:
            end = self.text.find(quote * 3, self.at + 3)
            while quote == '"' and end > 0 and self._escaped(end):
                end = self.text.find(quote * 3, end + 1)
            self.at = end + 3
            # Up to two quotes may close the content just before the delimiter.
            for _ in range(2):
                if self.peek() == quote:
                    self.at += 1
            return
        self.at += 1
        while self.text[self.at] != quote:
            self.at += 2 if quote == '"' and self.text[self.at] == "\\" else 1
        self.at += 1

    def _escaped(self, index: int) -> bool:
        backslashes = 0
        while index - backslashes - 1 >= 0 and self.text[index - backslashes - 1] == "\\":
            backslashes += 1
        return backslashes % 2 == 1

    def value(self, path: KeyPath) -> None:
        """Skip a value, noting the lines of the elements and keys inside it."""
        char = self.peek()
        if char in ('"', "'"):
            self.string()
        elif char == "[":
            self.at += 1
            index = 0
            while True:
                self.blank(newlines=True)
                if self.peek() in ("]", ""):
                    self.at += 1
                    return
                self.note((*path, index), self.line())
                self.value((*path, index))
                index += 1
                self.blank(newlines=True)
                if self.peek() == ",":
                    self.at += 1
        elif char == "{":
            self.at += 1
            while True:
                self.blank(newlines=True)
                if self.peek() in ("}", ""):
                    self.at += 1
                    return
                line = self.line()
                inner = (*path, *self.key())
                self.note(inner, line)
                self.blank()
                self.at += 1  # =
                self.blank()
                self.value(inner)
                self.blank(newlines=True)
                if self.peek() == ",":
                    self.at += 1
        else:
            start = self.at
            while self.at < len(self.text) and self.text[self.at] not in _SCALAR_END:
                self.at += 1
            if self.at == start:
                raise ValueError("no value")

    def resolve(self, parts: list[str]) -> KeyPath:
        """A header's key as a path: through an array of tables, its latest element."""
        path: KeyPath = ()
        for part in parts:
            path = (*path, part)
            if path in self.arrays:
                path = (*path, self.arrays[path] - 1)
        return path

    def scan(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self.blank(newlines=True)
            if self.at >= len(self.text):
                return self.lines
            line = self.line()
            if self.peek(2) == "[[":
                self.at += 2
                parts = self.key()
                self.at += 2  # ]]
                base = (*self.resolve(parts[:-1]), parts[-1])
                self.arrays[base] = self.arrays.get(base, 0) + 1
                table = (*base, self.arrays[base] - 1)
                self.note(table, line)
            elif self.peek() == "[":
                self.at += 1
                table = self.resolve(self.key())
                self.at += 1  # ]
                self.note(table, line)
            else:
                path = (*table, *self.key())
                self.note(path, line)
                self.blank()
                self.at += 1  # =
                self.blank()
                self.value(path)


def key_lines(text: str) -> dict[KeyPath, int]:
    """The line of every table, key and array element of a TOML ``text`` that parsed.

    What cannot be placed (a scanner's slip on an unusual construct) is left out: ``locate``
    then names the nearest enclosing key instead.
    """
    scanner = _Scanner(text)
    try:
        return scanner.scan()
    except (ValueError, IndexError):
        return scanner.lines


def locate(lines: dict[KeyPath, int], path: KeyPath) -> int:
    """The line of ``path``, or of the nearest key that encloses it (the file's start at worst)."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1
