"""Spreadsheets as the people who hold the records make them: CSV and XLSX files in memory."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

EARNINGS_HEADER = ["身份证号", "月份", "工时", "收入"]
CONTRIBUTIONS_HEADER = ["身份证号", "月份", "养老保险", "医疗保险"]
TRAINING_HEADER = ["身份证号", "课程", "课时", "完成日期"]


def csv_file(rows: Sequence[Sequence[Any]], encoding: str = "utf-8-sig") -> bytes:
    """``rows`` (the header first) as CSV in ``encoding`` (Excel's "CSV UTF-8" by default)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows: Sequence[Sequence[Any]]) -> bytes:
    """``rows`` (the header first) as the first sheet of a workbook; None leaves a cell empty."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewritten(workbook: bytes, changes: dict[str, str]) -> bytes:
    """``workbook`` with its first sheet's XML changed by regex ``changes`` (pattern: new text).

    For what openpyxl never writes and Excel does: a formula's cached value, a float's last
    binary digits.
    """
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for pattern, new in changes.items():
                    text, found = re.subn(pattern, new, text)
                    assert found, pattern
                data = text.encode()
            target.writestr(item, data)
    return buffer.getvalue()


def upload(content: bytes, filename: str = "records.csv", **fields: str) -> dict[str, Any]:
    """A multipart form with ``content`` as its file, and ``fields`` beside it."""
    return {"file": (io.BytesIO(content), filename), **fields}
