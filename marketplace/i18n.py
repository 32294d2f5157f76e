"""Messages in the reader's language (contract v1.1 "Language and time").

Chinese by default; English when the request prefers it (``Accept-Language: en``). The code
writes its messages in English — they are the catalogue's msgids — and the errors are
translated where they leave the service (``errors``' handlers), through Flask-Babel's gettext
and the catalogue ``marketplace/translations/zh/LC_MESSAGES/messages.po``.

A message with varying parts is a template with named parameters: ``Conflict("this shift
overlaps your booking %(booking)s", booking=7)``; the parameters are filled in after
translation. Field messages written by the libraries (marshmallow's "Missing data for required
field.", "Must be greater than or equal to {min}.", werkzeug's page descriptions) are matched
against the libraries' own templates, so that they translate too without a list kept by hand.

``python -m marketplace.i18n`` extracts the msgids (the code's and the libraries'), merges
them into the catalogue and compiles it; ``tests/test_i18n.py`` fails when a msgid has no
translation or the compiled catalogue is older than its source.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import marshmallow as ma
from flask import Flask, has_request_context, request
from flask_babel import Babel, gettext, refresh
from marshmallow import validate
from werkzeug import exceptions as http_exceptions

from marketplace.errors import N_ as N_  # marks msgids; defined with the errors, which load first
from marketplace.errors import Message

SUPPORTED = ("zh", "en")
DEFAULT = "zh"
TRANSLATIONS = Path(__file__).parent / "translations"
CATALOGUE = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"

babel = Babel()


def locale() -> str:
    """The request's language: English if it prefers it to Chinese, else Chinese. The desk's
    pages are Chinese whatever the browser says: they are the officials' own."""
    if not has_request_context() or request.blueprint == "desk":
        return DEFAULT
    return request.accept_languages.best_match(SUPPORTED, default=DEFAULT) or DEFAULT


def init_app(app: Flask) -> None:
    """Translate with the service's catalogue, in the language each request asks for."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=locale)
    # Flask-Babel keeps the language it chose on ``g``; requests that share an application
    # context (a test's, a CLI command's) would otherwise keep the first one's.
    app.before_request(refresh)


def translate(message: str, params: dict[str, Any] | None = None) -> str:
    """``message`` (a msgid) in the request's language, its parameters filled in."""
    if params:
        return str(gettext(message, **params))
    translated = str(gettext(message))
    if translated != message:
        return translated
    for pattern, msgid in library_templates():
        found = pattern.fullmatch(message)
        if found:
            return str(gettext(msgid, **found.groupdict()))
    return message


def join(words: list[str]) -> str:
    """Words as a list reads in the request's language: 「a、b」 in Chinese, "a, b" in English."""
    return ("、" if locale() == "zh" else ", ").join(words)


def translate_errors(errors: Any) -> Any:
    """Field errors (nested dicts and lists of messages) with every message translated."""
    if isinstance(errors, dict):
        return {key: translate_errors(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [translate_errors(value) for value in errors]
    if isinstance(errors, Message):
        return translate(errors.template, errors.params)
    if isinstance(errors, str):
        return translate(errors)
    return errors


def _library_messages() -> Iterator[str]:
    """The English messages marshmallow and werkzeug write (templates with ``{name}``)."""
    fields: list[type[Any]] = [ma.fields.Field]
    while fields:
        field = fields.pop()
        fields.extend(field.__subclasses__())
        # Fields of the libraries and the service, not those a test or a tool defines.
        if field.__module__.split(".")[0] in ("marshmallow", "marketplace", "webargs"):
            yield from getattr(field, "default_error_messages", {}).values()
    yield from ma.Schema._default_error_messages.values()
    for _, validator in inspect.getmembers(validate, inspect.isclass):
        if issubclass(validator, validate.Validator) and validator is not validate.Range:
            for name, value in vars(validator).items():
                if "message" in name and isinstance(value, str):
                    yield value
    # Range writes its templates when made, from its bounds' inclusivity ("Must be {min_op}
    # {{min}}." becomes "Must be greater than or equal to {min}."): the templates it can write.
    for min_inclusive in (True, False):
        for max_inclusive in (True, False):
            bounded = validate.Range(0, 1, min_inclusive=min_inclusive, max_inclusive=max_inclusive)
            yield bounded.message_min
            yield bounded.message_max
            yield bounded.message_all
    for exception in http_exceptions.default_exceptions.values():
        if exception.description:
            yield exception.description
    yield "Invalid JSON body."


def _msgid(template: str) -> str:
    """marshmallow's ``{min}`` as gettext's ``%(min)s`` (a literal ``%`` doubled)."""
    return re.sub(r"\{(\w+)\}", r"%(\1)s", template.replace("%", "%%"))


def library_msgids() -> list[str]:
    """The libraries' messages as msgids of the catalogue."""
    return sorted({_msgid(template) for template in _library_messages()})


@cache
def library_templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The libraries' templates with parameters, as patterns that find the parameters again."""
    found = []
    for template in set(_library_messages()):
        if "{" not in template:
            continue
        parts = re.split(r"\{(\w+)\}", template)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        found.append((re.compile(pattern, re.DOTALL), _msgid(template)))
    # Longer templates first: the most specific wins.
    return tuple(sorted(found, key=lambda pair: -len(pair[1])))


def main() -> None:
    """Extract the msgids, merge them into the catalogue and compile it (``make messages``)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    keywords = {
        "N_": None,
        "_": None,
        "gettext": None,
        "translate": None,
        "Message": None,
        "Conflict": None,
        "Invalid": None,
        "Forbidden": None,
        "NotFound": None,
        "Unauthorized": None,
        "BadInput": None,
        "TooManyRequests": None,
        "DomainError": None,
        "ValidationError": None,
        "field_error": (3,),
    }
    template = Catalog(project="marketplace", fuzzy=False)
    root = Path(__file__).parent
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords=keywords
    ):
        if isinstance(message, str) and message.strip():
            template.add(message, locations=[(f"marketplace/{filename}", lineno)])
    for message in library_msgids():
        template.add(message, locations=[("(libraries)", 0)])
    with CATALOGUE.open("rb") as source:
        catalogue = read_po(source, locale="zh")
    catalogue.update(template, no_fuzzy_matching=True)
    catalogue.obsolete.clear()  # what the code no longer says: git keeps its history
    with CATALOGUE.open("wb") as target:
        write_po(target, catalogue, width=100, omit_header=False, sort_output=True)
    with CATALOGUE.with_suffix(".mo").open("wb") as target:
        write_mo(target, catalogue)
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    print(f"{len(catalogue)} messages, {len(untranslated)} without a translation")


if __name__ == "__main__":
    main()
