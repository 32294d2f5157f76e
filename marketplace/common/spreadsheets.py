"""Officials' downloads: CSV or Excel with Chinese headers and exact amounts.

CSV is written as UTF-8 with a byte-order mark, which is what makes Excel on a Chinese desktop
open it with the characters intact. Amounts go into the spreadsheet as the exact decimals the
database holds, shown with two decimals. Every download of personal data is an audit event
(``audit.services.record_export``), written in the transaction of the request that answers it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

MIME_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ExportFile:
    """An export ready to send."""

    content: bytes
    mimetype: str
    filename: str
    rows: int = 0  # data rows written, below the header (an export's audit event counts them)


def response_doc(description: str) -> dict[str, Any]:
    """The OpenAPI description of a download answered as CSV or Excel."""
    return {
        "200": {
            "description": description,
            "content": {mime.split(";")[0]: {} for mime in MIME_TYPES.values()},
        }
    }


def download(exported: ExportFile) -> Response:
    """Send ``exported`` as an attachment that no browser or proxy keeps a copy of."""
    return Response(
        exported.content,
        content_type=exported.mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            # Every download holds personal data: never stored by a cache, shared or private.
            "Cache-Control": "no-store",
        },
    )


def write(
    file_format: str, sheet: str, headers: Sequence[str], rows: Iterable[list[Any]], filename: str
) -> ExportFile:
    """``rows`` under ``headers`` as a ``csv`` or ``xlsx`` file; Decimals are kept exact."""
    written = [0]

    def counted() -> Iterator[list[Any]]:
        for row in rows:
            written[0] += 1
            yield row

    content = _csv(headers, counted()) if file_format == "csv" else _xlsx(sheet, headers, counted())
    return ExportFile(content, MIME_TYPES[file_format], f"{filename}.{file_format}", written[0])


# A cell that starts with one of these is a formula to Excel and LibreOffice: text typed by users
# (a worker's name, an address) must never run as one in an official's spreadsheet (OWASP
# "CSV injection"). The full-width signs count too: a spreadsheet set up for Chinese input reads
# "＝1+1" as a formula, and Excel skips leading spaces before looking for the sign.
FORMULA_SIGNS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # = + - @ ＝ ＋ － ＠
# A tab or carriage return at the very start also makes some importers split or evaluate the cell.
FORMULA_STARTS = (*FORMULA_SIGNS, "\t", "\r")


def defused(text: str) -> str:
    """``text`` made inert as a spreadsheet cell: a leading ``'`` when it could start a formula.

    The sign is looked for after any leading white space (ASCII or full-width spaces, line
    breaks), since "  =1+1" is still a formula once a spreadsheet trims it.
    """
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_SIGNS):
        return "'" + text
    return text


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    return defused(value) if isinstance(value, str) else value


def _csv(headers: Sequence[str], rows: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(sheet_name: str, headers: Sequence[str], rows: Iterable[list[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    sheet.append(list(headers))
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "0.00"
                cells.append(cell)
            elif isinstance(value, str):
                # Always a text cell: openpyxl would store "=…" as a formula.
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
