"""Downloads for officials: exact amounts, and text typed by users never runs as a formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from marketplace.common.spreadsheets import defused, download, write

HOSTILE = [
    '=HYPERLINK("http://x","点击")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tcmd",
    "\rcmd",
    # The full-width signs of a Chinese input method: a spreadsheet reads them as formulas too.
    "＝1+1",
    "＋1+1",
    "－2+3",
    "＠SUM(A1)",
    # Spreadsheets trim leading spaces before looking for the sign.
    "  =1+1",
    " +1+1",
    "\u3000＝1+1",  # an ideographic (full-width) space
    "\n-2+3",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_could_start_a_formula_is_defused(text):
    assert defused(text) == "'" + text


@pytest.mark.parametrize(
    "text",
    ["张三", "无锡市梁溪区中山路1号", "320202********123X", "", "   ", "王=五", "A-1 栋", "1+1"],
)
def test_ordinary_text_is_left_as_it_is(text):
    assert defused(text) == text


def test_a_csv_keeps_hostile_names_as_text_and_amounts_exact():
    rows = [[name, Decimal("1.10")] for name in HOSTILE]
    exported = write("csv", "表", ["姓名", "金额"], rows, "x")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["'" + name for name in HOSTILE]
    assert {row[1] for row in rows[1:]} == {"1.10"}


def test_an_excel_file_stores_hostile_names_as_text_cells_never_formulas():
    rows = [[name, Decimal("2750.00")] for name in HOSTILE]
    exported = write("xlsx", "表", ["姓名", "金额"], rows, "x")
    sheet = load_workbook(io.BytesIO(exported.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML keeps no carriage return: "\r" comes back as a line feed, still as text.
    assert [cell.value for cell in names] == [text.replace("\r", "\n") for text in HOSTILE]
    assert all(cell.data_type == "s" for cell in names)
    amounts = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.value == 2750 and cell.number_format == "0.00" for cell in amounts)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_counts_its_rows_below_the_header(file_format):
    exported = write(file_format, "表", ["姓名"], ([name] for name in ["张三", "李四"]), "x")
    assert exported.rows == 2
    assert write(file_format, "表", ["姓名"], [], "x").rows == 0


def test_a_download_is_an_attachment_no_cache_keeps(app):
    with app.test_request_context():
        response = download(write("csv", "表", ["姓名"], [["张三"]], "workers"))
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="workers.csv"'
