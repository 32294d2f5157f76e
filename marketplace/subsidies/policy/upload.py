"""An uploaded policy file read as the code's files are, its problems each named by its line.

``POST /subsidies/policies`` takes the text of a policy file (API.md "Living policies"); an invalid
one is answered 422 with every problem found — syntax (``tomllib`` says where), or a value the
strict reader refuses (``files``; the key's line found by ``lines``) — so that the admin fixes the
whole file at once.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from marketplace.errors import N_, Invalid, Message
from marketplace.subsidies.policy import lines
from marketplace.subsidies.policy.definition import Policy
from marketplace.subsidies.policy.files import read_policy

# Bidirectional overrides reorder what a reader sees without changing what the parser reads
# ("Trojan Source"): in a file whose every number is money, none is let in.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
MAX_LISTED = 100  # problems listed in one answer; the message counts them all


@dataclass(frozen=True)
class FileProblem:
    """One problem of an uploaded file: its line (and column, for syntax), key and message."""

    line: int
    message: Message
    column: int | None = None
    key: str | None = None

    def as_error(self) -> dict[str, Any]:
        """The problem as an item of the 422's ``errors["toml"]``."""
        return {"line": self.line, "column": self.column, "key": self.key, "message": self.message}


def _refused(problems: list[FileProblem]) -> Invalid:
    ordered = sorted(problems, key=lambda problem: (problem.line, problem.column or 0))
    return Invalid(
        N_("the policy file is invalid: %(count)s problems, the first on line %(line)s"),
        {"toml": [problem.as_error() for problem in ordered[:MAX_LISTED]]},
        count=len(ordered),
        line=ordered[0].line,
    )


def _decoded(content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        message = Message(N_("the file is not UTF-8 text (byte %(offset)s)"), offset=error.start)
        raise _refused([FileProblem(line, message)]) from None


def _parsed(text: str) -> dict[str, Any]:
    hidden = [
        FileProblem(number, Message(N_("bidirectional control characters are not allowed")))
        for number, line in enumerate(text.split("\n"), start=1)
        if BIDI_CONTROLS.intersection(line)
    ]
    if hidden:
        raise _refused(hidden)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, column = lines.syntax_position(error, text)
        # tomllib's own words ("Invalid value (at line 3, column 9)"): a fixed English set.
        message = Message(N_("not valid TOML: %(reason)s"), reason=str(error))
        raise _refused([FileProblem(line, message, column)]) from None
    except RecursionError:
        message = Message(N_("not valid TOML: arrays or tables nested too deeply"))
        raise _refused([FileProblem(1, message)]) from None
    except ValueError as error:
        # A number or date TOML accepts but Python cannot hold (4,300 digits, 31 February).
        message = Message(N_("not valid TOML: %(reason)s"), reason=str(error))
        raise _refused([FileProblem(1, message)]) from None


def read(content: bytes) -> tuple[str, Policy]:
    """The file's text and its policy; Invalid (422) naming the line of every problem."""
    text = _decoded(content)
    found, problems = read_policy(_parsed(text))
    if found is None:
        where = lines.key_lines(text)
        raise _refused(
            [
                FileProblem(lines.locate(where, problem.path), problem.message, key=problem.key)
                for problem in problems
            ]
        )
    return text, found


def refuse_key(text: str, path: tuple[str, ...], message: Message) -> Invalid:
    """422 about one key of a file that parsed (a rule of the stored versions, not of the file)."""
    line = lines.locate(lines.key_lines(text), path)
    return _refused([FileProblem(line, message, key=".".join(path))])
