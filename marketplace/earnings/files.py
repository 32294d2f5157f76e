"""The imports from spreadsheets: each import's columns, its template, and a filled-in file read
back into the records the JSON import takes.

A file's columns are named by Chinese headers in row 1 (any order); each later row is a record.
A cell is turned into what the JSON record would hold, and then the record goes through the same
schema and the same all-or-nothing rules (``imports``):

- text is trimmed; an empty cell is a missing field;
- a number is written out exactly as the spreadsheet shows it — a float to 15 significant
  digits, Excel's own precision, which drops the binary noise of a sum (``2700.0000000000005``
  is 2700) and keeps a real third decimal (``2700.555``), which the schema then refuses: money
  is never rounded and never goes through a float;
- a date cell gives its day, or in a month column its month; so does text written year first
  (``2026-02-01``, ``2026/2/1``, ``2026年2月1日``; ``2026-01``, ``2026/1``, ``2026年1月``), which
  is how Excel writes dates to CSV on a Chinese desktop;
- an ID number stored as a number is refused: Excel keeps 15 digits, the last three are lost.

A file whose header is not the template's is refused as a whole (``uploads.FileRefused``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from marketplace.auth.models import User
from marketplace.common import spreadsheets, uploads
from marketplace.common.uploads import FileRefused, FormulaError
from marketplace.earnings import imports
from marketplace.earnings.imports import FileRows, ImportResult
from marketplace.earnings.schemas import MAX_RECORDS, Unreadable
from marketplace.errors import N_, Message

MAX_FILE_BYTES = 5 * 1024 * 1024

# Why a file's header is refused, and a file without records (the other reasons: ``uploads``).
HEADER = "header"
NO_RECORDS = "no_records"
HEADER_MESSAGE = N_("the header row (row 1) is not the template's")
NO_RECORDS_MESSAGE = N_("the file has no records below its header row")
# What a cell that stands for no value says.
SPREADSHEET_ERROR = N_("holds a spreadsheet error instead of a value")
ID_AS_NUMBER = N_("is stored as a number, which loses its last digits; format the column as text")
# Header names echoed back in an error, at most this many of at most this length each.
_SHOWN_NAMES = 20
_SHOWN_LENGTH = 50


@dataclass(frozen=True)
class Column:
    """A column of an import's file: its header, the record field it fills, what kind of value
    it holds (``id_number``, ``month``, ``date``, ``money``, ``quantity``, ``text``) and the
    value of the template's example row."""

    header: str
    field: str
    kind: str
    example: Any


@dataclass(frozen=True)
class Layout:
    """The columns of one import's file, and the name of the template's sheet."""

    kind: str
    title: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> dict[str, str]:
        """The header of each field."""
        return {column.field: column.header for column in self.columns}


# GB 11643's own example of a resident ID number: valid, and nobody's, so an example row left in
# a filled-in template is refused ("no worker profile has it") instead of imported.
EXAMPLE_ID_NUMBER = "11010519491231002X"
_ID = Column("身份证号", "id_number", "id_number", EXAMPLE_ID_NUMBER)
LAYOUTS = {
    "earnings": Layout(
        "earnings",
        "收入记录",
        (
            _ID,
            Column("月份", "month", "month", "2026-01"),
            Column("工时", "hours", "quantity", Decimal("160")),
            Column("收入", "income", "money", Decimal("2700.00")),
        ),
    ),
    "contributions": Layout(
        "contributions",
        "社保缴费记录",
        (
            _ID,
            Column("月份", "month", "month", "2026-01"),
            Column("养老保险", "pension", "money", Decimal("600.00")),
            Column("医疗保险", "medical", "money", Decimal("240.00")),
        ),
    ),
    "training": Layout(
        "training",
        "培训记录",
        (
            _ID,
            Column("课程", "course", "text", "家政服务"),
            Column("课时", "class_hours", "quantity", Decimal("20")),
            Column("完成日期", "completed_on", "date", date(2026, 2, 1)),
        ),
    ),
}
KINDS = tuple(LAYOUTS)


@dataclass(frozen=True)
class Sheet:
    """A file's records, as the JSON import's records, and where each stands in the file."""

    records: list[dict[str, Any]]
    rows: FileRows


# --- reading ------------------------------------------------------------------------------------


def read(kind: str, content: bytes) -> Sheet:
    """The records of a filled-in ``kind`` file; ``FileRefused`` when it cannot be imported."""
    layout = LAYOUTS[kind]
    table = uploads.read_table(content, max_bytes=MAX_FILE_BYTES, max_rows=MAX_RECORDS)
    positions = _positions(layout, table)
    records, numbers = [], []
    for number, cells in table.rows:
        record = {}
        for column in layout.columns:
            position = positions[column.field]
            value = _value(column.kind, cells[position] if position < len(cells) else None)
            if value is not None:
                record[column.field] = value
        records.append(record)
        numbers.append(number)
    if not records:
        raise FileRefused(NO_RECORDS, message=NO_RECORDS_MESSAGE)
    return Sheet(records, FileRows(numbers, layout.headers))


def _shown(names: Sequence[str]) -> list[str]:
    return [name[:_SHOWN_LENGTH] for name in names[:_SHOWN_NAMES]]


def _positions(layout: Layout, table: uploads.Table) -> dict[str, int]:
    """Each field's column (from 0); refuses a header that is not the template's."""
    names = ["" if uploads.blank(cell) else str(cell).strip() for cell in table.header]
    by_header = {column.header: column for column in layout.columns}
    positions: dict[str, int] = {}
    unknown, repeated = [], []
    for position, name in enumerate(names):
        if not name:
            continue
        column = by_header.get(name)
        if column is None:
            unknown.append(name)
        elif column.field in positions:
            repeated.append(name)
        else:
            positions[column.field] = position
    missing = [column.header for column in layout.columns if column.field not in positions]
    # Values under an empty header belong to no field: refused rather than silently dropped.
    unnamed = sorted(
        {
            position + 1
            for _, cells in table.rows
            for position, cell in enumerate(cells)
            if not uploads.blank(cell) and (position >= len(names) or not names[position])
        }
    )
    if missing or unknown or repeated or unnamed:
        details = [
            Message(label, columns=", ".join(map(str, values)))
            for label, values in (
                (N_("missing columns: %(columns)s"), missing),
                (N_("unknown columns: %(columns)s"), _shown(unknown)),
                (N_("repeated columns: %(columns)s"), _shown(repeated)),
                (N_("values under no header in columns: %(columns)s"), unnamed[:_SHOWN_NAMES]),
            )
            if values
        ]
        raise FileRefused(
            HEADER,
            details,
            message=HEADER_MESSAGE,
            missing=missing,
            unknown=_shown(unknown),
            repeated=_shown(repeated),
            unnamed=unnamed[:_SHOWN_NAMES],
            expected=[column.header for column in layout.columns],
        )
    return positions


_DAY = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]0{1,2}:00(?::00)?)?", re.ASCII)
_MONTH = re.compile(r"(\d{4})[-/.年](\d{1,2})月?", re.ASCII)


def _month_text(text: str) -> str:
    if match := _MONTH.fullmatch(text) or _DAY.fullmatch(text):
        return f"{match.group(1)}-{int(match.group(2)):02d}"
    return text


def _day_text(text: str) -> str:
    if match := _DAY.fullmatch(text):
        year, month, day = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


_TEXT: dict[str, Callable[[str], str]] = {"month": _month_text, "date": _day_text}


def decimal_text(number: int | float) -> str:
    """A spreadsheet's number as exact decimal text: a float to Excel's 15 significant digits.

    ``2700.5`` → ``"2700.5"``, ``0.1 + 0.2`` → ``"0.3"``, ``2700.555`` → ``"2700.555"``, never an
    exponent (``1e-07`` → ``"0.0000001"``).
    """
    if isinstance(number, int):
        return str(number)
    return format(Decimal(format(number, ".15g")), "f")


def _value(kind: str, cell: Any) -> Any:
    """The cell as the JSON record would hold it; None for an empty cell.

    What no conversion fits (a TRUE/FALSE cell, a time) is passed on as it is, for the schema to
    refuse with its own message.
    """
    if uploads.blank(cell):
        return None
    if isinstance(cell, str):
        text = cell.strip()
        return _TEXT[kind](text) if kind in _TEXT else text
    if isinstance(cell, FormulaError):
        return Unreadable(SPREADSHEET_ERROR)
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, date):  # datetime too: openpyxl gives date cells as datetimes
        day = cell.date() if isinstance(cell, datetime) else cell
        if kind == "month":
            return f"{day.year:04d}-{day.month:02d}"
        return day.isoformat() if kind in {"date", "text"} else cell
    if isinstance(cell, int | float):
        if kind == "id_number":
            # Excel holds a number to 15 digits: an 18-digit ID number typed as one has lost its
            # last three (an int came from a program that wrote the digits exactly).
            return str(cell) if isinstance(cell, int) else Unreadable(ID_AS_NUMBER)
        if kind in {"money", "quantity", "text"}:
            return decimal_text(cell)
    return cell


# --- importing ----------------------------------------------------------------------------------


def import_file(user: User, kind: str, content: bytes, source: str | None = None) -> ImportResult:
    """Import a filled-in ``kind`` file: all its rows or none, as the JSON import would.

    ``source`` (already checked, as the JSON import's) is the income's origin, for ``earnings``.
    """
    sheet = read(kind, content)
    if kind == "earnings":
        if source is None:
            raise ValueError("an income import needs its source")
        return imports.import_earnings(user, source, sheet.records, sheet.rows)
    if kind == "contributions":
        return imports.import_contributions(user, sheet.records, sheet.rows)
    return imports.import_training(user, sheet.records, sheet.rows)


# --- templates ----------------------------------------------------------------------------------

# Text columns (ID numbers, months) stay text when typed into the XLSX template: Excel would turn
# an ID number into a number and "2026-01" into a date.
_FORMATS = {"id_number": "@", "month": "@", "text": "@", "money": "0.00", "date": "yyyy-mm-dd"}
_WIDTHS = {"id_number": 22, "text": 20}
NOTES = (
    "填写说明",
    "第1行是列名，请勿修改；从第2行起每行一条记录。",
    "第2行是示例，请替换或删除（示例身份证号不属于任何人，保留会导致导入失败）。",
    "身份证号、月份请保持文本格式；月份写作 2026-01，日期写作 2026-02-01。",
    "金额以元为单位，最多两位小数；工时、课时最多两位小数。",
    "有一行出错则整个文件都不导入；改正后重新上传即可，已导入的记录会被替换而不会重复。",
)


def template(kind: str, file_format: str) -> spreadsheets.ExportFile:
    """The ``kind`` import's template as ``csv`` (UTF-8 with BOM) or ``xlsx``.

    The Chinese header row and one example row; the workbook keeps text columns as text and
    has a second sheet of instructions.
    """
    layout = LAYOUTS[kind]
    filename = f"{kind}-import-template"
    example = [column.example for column in layout.columns]
    headers = [column.header for column in layout.columns]
    if file_format == "csv":
        return spreadsheets.write("csv", layout.title, headers, [example], filename)
    return spreadsheets.ExportFile(
        _workbook(layout), spreadsheets.MIME_TYPES["xlsx"], f"{filename}.xlsx", rows=1
    )


def _workbook(layout: Layout) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = layout.title
    for position, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(position)
        number_format = _FORMATS.get(column.kind, "General")
        dimension = sheet.column_dimensions[letter]
        dimension.width = _WIDTHS.get(column.kind, 14)
        dimension.number_format = number_format
        header = sheet.cell(row=1, column=position, value=column.header)
        header.font = Font(bold=True)
        header.number_format = "@"
        example = sheet.cell(row=2, column=position, value=column.example)
        example.number_format = number_format
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    for row, line in enumerate(NOTES, start=1):
        notes.cell(row=row, column=1, value=line)
    notes.column_dimensions["A"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
