"""Spreadsheets sent in: a CSV or XLSX file read into rows of cells, and the size it may have.

The people who hold the records keep them in Excel, so a file is read the way Excel wrote it:

- XLSX (recognised by its content, a ZIP archive, whatever its name says) through openpyxl with
  ``data_only=True``: a formula counts as the value Excel last computed for it, a date cell is a
  date, a number a Python int or float (the caller turns those into exact decimals), an error
  cell (``#N/A``) a ``FormulaError``. Only the first worksheet is read.
- CSV as UTF-8, with or without the byte-order mark Excel writes for "CSV UTF-8", or else as
  GB18030 (a superset of GBK), which Excel on a Chinese Windows writes for plain "CSV".

Row numbers are the spreadsheet's: the header is row 1. Rows whose cells are all empty are left
out (spreadsheets keep formatted empty rows), keeping the numbers of the others.

A file that cannot be read this way is refused as a whole (``FileRefused``: 422, nothing
read). The size limits hold before any work is done: a request larger than a view allows is
refused before its body is read (``accepts_files``), a workbook whose archive unpacks to more
than ``MAX_UNPACKED_BYTES`` is never opened (a "zip bomb" of a few kilobytes can unpack to
gigabytes).
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, request
from openpyxl import load_workbook

from marketplace.errors import N_, Invalid, Message

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

FILE_FIELD = "file"  # the multipart field that carries the file
# Room in a multipart request for its envelope and the form's other fields beside the file.
FORM_ALLOWANCE = 64 * 1024
# What the archive of an XLSX may unpack to: a full 10,000-row sheet is a few megabytes of XML.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
# The compound-file header of Excel 97–2003 (.xls) workbooks, and of encrypted .xlsx ones.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# UTF-8 first: it is what the templates are; a file that is not valid UTF-8 is GB18030.
_ENCODINGS = ("utf-8-sig", "gb18030")
_TEXT_CONTROLS = "\t\r\n"

# Why a file is refused: the reasons, each with its fixed message (the desk words them itself).
TOO_LARGE = "too_large"
EMPTY = "empty"
NOT_A_SPREADSHEET = "not_a_spreadsheet"
OLD_EXCEL = "old_excel"
UNREADABLE = "unreadable"
TOO_MANY_ROWS = "too_many_rows"
MESSAGES = {
    TOO_LARGE: N_("the file is too large"),
    EMPTY: N_("the file is empty"),
    NOT_A_SPREADSHEET: N_("the file is neither CSV (UTF-8 or GB18030 text) nor an XLSX workbook"),
    OLD_EXCEL: N_(
        "the file is an .xls workbook (Excel 97-2003) or an encrypted one; save it as .xlsx or CSV"
    ),
    UNREADABLE: N_("the file cannot be read; save it again as .xlsx or CSV"),
    TOO_MANY_ROWS: N_("the file has too many rows"),
}


class FileRefused(Invalid):
    """A file that cannot be imported at all: 422 with the reason; nothing of it was stored.

    ``message`` is a fixed sentence per reason; what varies (a limit, the columns missing) is in
    the file field's messages, and in ``facts`` for pages that word the refusal themselves.
    """

    def __init__(
        self,
        reason: str,
        details: Iterable[str] = (),
        message: str | None = None,
        **facts: Any,
    ) -> None:
        message = message or MESSAGES[reason]
        super().__init__(message, {"files": {FILE_FIELD: list(details) or [message]}})
        self.reason = reason
        self.facts = facts


def size_text(size: int) -> str:
    """A byte count as people say it: ``5 MB`` (whole megabytes), ``512 KB`` or ``100 bytes``."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def too_large(max_bytes: int) -> FileRefused:
    """The refusal of a file over ``max_bytes``."""
    return FileRefused(
        TOO_LARGE,
        [Message("must be at most %(size)s", size=size_text(max_bytes))],
        max_bytes=max_bytes,
    )


# --- how large a request may be ----------------------------------------------------------------


def accepts_files(max_bytes: int) -> Callable[[F], F]:
    """Let a view take a multipart form with a file of up to ``max_bytes``.

    Every other request keeps the app's ``MAX_CONTENT_LENGTH``. Place it under the decorators
    that wrap with ``functools.wraps`` (``auth_required``, ``sign_in_required``), which carry the
    mark outwards.
    """

    def mark(view: F) -> F:
        view._max_upload_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def _upload_limit(app: Flask) -> int | None:
    view = app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, request.method.lower(), None) if view_class else view
    limit = getattr(method, "_max_upload_bytes", None)
    return limit if isinstance(limit, int) else None


def init_app(app: Flask) -> None:
    """Give the views marked ``accepts_files`` their limit, before anything reads the body."""

    @app.before_request
    def allow_uploads() -> None:
        limit = _upload_limit(app)
        if limit is None or request.mimetype != "multipart/form-data":
            return
        allowed = limit + FORM_ALLOWANCE
        # Refused from the header alone, as a file too large (422) rather than a bare 413: the
        # person who sent it learns the limit. A body without a length is cut off at the limit.
        if request.content_length is not None and request.content_length > allowed:
            raise too_large(limit)
        request.max_content_length = allowed


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormulaError:
    """An error cell of a workbook (``#N/A``, ``#DIV/0!``): no value at all."""

    code: str


@dataclass(frozen=True)
class Table:
    """A file's rows: the header (row 1) and the other rows with cells, by their row numbers."""

    header: list[Any]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def blank(value: Any) -> bool:
    """Whether a cell holds nothing (empty, or only white space)."""
    return value is None or (isinstance(value, str) and not value.strip())


def read_table(content: bytes, *, max_bytes: int, max_rows: int) -> Table:
    """The rows of a CSV or XLSX file; ``FileRefused`` for a file that cannot be read as one.

    At most ``max_rows`` rows below the header may hold something.
    """
    if len(content) > max_bytes:
        raise too_large(max_bytes)
    if content.startswith(_ZIP_MAGIC):
        return _read_xlsx(content, max_rows)
    if content.startswith(_OLE2_MAGIC):
        raise FileRefused(OLD_EXCEL)
    return _collect(_csv_rows(_decode(content)), max_rows)


def _collect(rows: Iterable[tuple[int, list[Any]]], max_rows: int) -> Table:
    header: list[Any] | None = None
    found: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        if number == 1:
            header = cells
            continue
        if all(blank(cell) for cell in cells):
            continue
        if len(found) == max_rows:
            raise FileRefused(
                TOO_MANY_ROWS,
                [Message("must have at most %(rows)s rows below the header", rows=max_rows)],
                max_rows=max_rows,
            )
        found.append((number, cells))
    if header is None or (all(blank(cell) for cell in header) and not found):
        raise FileRefused(EMPTY)
    return Table(header, found)


def _decode(content: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise FileRefused(NOT_A_SPREADSHEET)
    # Text has no control characters but line breaks and tabs: anything else is a binary file
    # (an image, a PDF) that happened to decode.
    if any(unicodedata.category(char) == "Cc" and char not in _TEXT_CONTROLS for char in text):
        raise FileRefused(NOT_A_SPREADSHEET)
    return text.lstrip("\ufeff")  # GB18030 has a byte-order mark of its own


def _csv_rows(text: str) -> Iterator[tuple[int, list[Any]]]:
    # One CSV record is one spreadsheet row, even when a quoted cell spans lines of the file.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, row in enumerate(reader, start=1):
            yield number, list(row)
    except csv.Error:
        raise FileRefused(UNREADABLE) from None


def _read_xlsx(content: bytes, max_rows: int) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise FileRefused(UNREADABLE) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise too_large(MAX_UNPACKED_BYTES)
    try:
        # openpyxl warns of features it drops (data validation, unknown extensions), which
        # change nothing of the values read.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                # Some writers state wrong dimensions; without them every row and cell is read.
                sheet.reset_dimensions()
                return _collect(_sheet_rows(sheet), max_rows)
            finally:
                workbook.close()
    except FileRefused:
        raise
    except Exception:  # untrusted bytes in a third-party parser: anything may fail
        # Whatever fails inside openpyxl on a damaged or hand-made archive, the answer is the
        # same fixed refusal; the details go to the log, never to the client.
        log.info("an uploaded workbook could not be read", exc_info=True)
        raise FileRefused(UNREADABLE) from None


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    # openpyxl's read-only rows come from row 1 on, missing rows filled in as empty ones.
    for number, row in enumerate(sheet.iter_rows(), start=1):
        yield (
            number,
            [
                FormulaError(str(cell.value)) if cell.data_type == "e" else cell.value
                for cell in row
            ],
        )
