"""Input that cannot hurt: strict JSON bodies, free text normalised, patterns matched whole.

An attack review found 500s on a lone surrogate in JSON (the database driver cannot encode it),
on JSON nested a few thousand deep (Python's parser recurses), and on over-long URLs, and found
that ``^1[3-9]\\d{9}$`` accepts a trailing newline and full-width digits (so one phone registered
several accounts). Contract v1.1 ("No 500 for any input"):

- a JSON body must be valid UTF-8, hold no lone surrogate, no ``NaN``/``Infinity``, no number
  too long to read, and nest at most 32 deep — else 400 with the error body;
- free text is NFC-normalised and trimmed; a control character other than newline and tab is
  422 (one-line fields refuse those two as well), so is a bidirectional override (which makes a
  name read differently than it is stored);
- pattern-checked fields match whole and in ASCII (``\\A…\\Z``, ``re.ASCII``);
- a URL longer than 8,192 bytes is 414.

Why not a library: jsonschema-style validators check shapes, not these; the checks are a few
lines over the standard library's parser, used by both webargs (every argument) and Flask's
``request.get_json`` (idempotency keys hash the body before the arguments are parsed).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext
from marshmallow import ValidationError, fields, validate
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import RequestURITooLarge

from marketplace.errors import N_, BadInput, Message

MAX_JSON_DEPTH = 32
MAX_URL_BYTES = 8192
# Bidirectional overrides and isolates (Unicode "Trojan Source"): text that displays in another
# order than it is stored.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class UnsafeJSON(ValueError):
    """A JSON body that parses but must not be taken in (a ``ValueError``, as Flask expects).

    ``message`` says why: a msgid with its parameters (its text is the English one).
    """

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


_TOO_DEEP = N_("the JSON body nests deeper than %(depth)s levels")


def _refuse_constant(name: str) -> Any:
    raise UnsafeJSON(Message("%(name)s is not a JSON number", name=name))


def _check(value: Any) -> None:
    """Depth and strings of a parsed body, walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                raise UnsafeJSON(Message(_TOO_DEEP, depth=MAX_JSON_DEPTH))
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                raise UnsafeJSON(Message(_TOO_DEEP, depth=MAX_JSON_DEPTH))
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Only a lone surrogate (a "\ud800" escape without its pair) cannot be encoded.
        raise UnsafeJSON(
            Message("the JSON body holds a lone surrogate (invalid Unicode)")
        ) from None


def strict_loads(data: str | bytes) -> Any:
    """Parse a JSON body, refusing what could hurt later (``UnsafeJSON``).

    Invalid UTF-8 raises ``UnicodeDecodeError`` and malformed JSON ``json.JSONDecodeError``, as
    the standard library does.
    """
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise UnsafeJSON(Message(_TOO_DEEP, depth=MAX_JSON_DEPTH)) from None
    except (json.JSONDecodeError, UnsafeJSON):
        raise
    except ValueError:
        # Python refuses integers of more than 4,300 digits.
        raise UnsafeJSON(Message("a number in the JSON body is too long")) from None
    _check(value)
    return value


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies with ``strict_loads``."""

    ensure_ascii = False  # Chinese text stays Chinese
    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s`` strictly (``UnsafeJSON`` is a ``ValueError``: Flask answers 400)."""
        return strict_loads(s)


class StrictParser(FlaskParser):
    """webargs' parser of flask-smorest's views, reading JSON bodies with ``strict_loads``."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return strict_loads(req.get_data(cache=True))
        except UnsafeJSON as error:
            message = error.message
            raise BadInput(message.template, {"json": [message]}, **message.params) from None


def refuse_long_urls(app: Flask) -> None:
    """Answer 414 (in the error shape) to a request whose URL is longer than 8,192 bytes."""

    @app.before_request
    def check_url_length() -> None:
        environ = request.environ
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw is None:
            path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
            query = environ.get("QUERY_STRING", "")
            raw = quote(path) + ("?" + query if query else "")
        if len(raw.encode("latin-1", "replace")) > MAX_URL_BYTES:
            # A page description, not a domain error: written in the reader's language here.
            raise RequestURITooLarge(
                gettext("the URL is longer than %(limit)s bytes", limit=MAX_URL_BYTES)
            )


class WholePattern(validate.Regexp):
    """marshmallow's ``Regexp`` matching the whole value, in ASCII unless told otherwise.

    Documented as a pattern in OpenAPI, like ``Regexp``.

    Python's ``$`` matches before a trailing newline and ``\\d`` matches any script's digits;
    ``fullmatch`` with ``re.ASCII`` does neither.
    """

    def __init__(self, pattern: str, error: str, *, ascii: bool = True) -> None:
        flags = re.ASCII if ascii else 0
        super().__init__(pattern, flags=flags, error=error)
        self.whole = re.compile(pattern, flags)

    def __call__(self, value: Any) -> Any:
        """``value`` if the whole of it matches, else a ``ValidationError``."""
        if not isinstance(value, str) or self.whole.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def text_problem(text: str, *, multiline: bool) -> Message | None:
    """Why ``text`` (already normalised) may not be stored as free text, or None."""
    allowed = "\n\t" if multiline else ""
    for char in text:
        if char in allowed:
            continue
        if unicodedata.category(char) == "Cc":
            if multiline:
                return Message("must not contain control characters other than newline and tab")
            return Message("must not contain control characters (one line, no tab)")
        if char in BIDI_CONTROLS:
            return Message("must not contain bidirectional override characters")
    return None


class Text(fields.String):
    """Free text: NFC-normalised, surrounding white space trimmed, no control characters.

    ``multiline`` lets newlines (CRLF made LF) and tabs through, for descriptions and reasons;
    names, titles and addresses are one line. A value of only white space becomes empty, which
    a ``Length(min=1)`` then refuses.
    """

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        text = unicodedata.normalize("NFC", text).strip()
        if self.multiline:
            text = text.replace("\r\n", "\n")
        problem = text_problem(text, multiline=self.multiline)
        if problem is not None:
            raise ValidationError(problem)
        return text
