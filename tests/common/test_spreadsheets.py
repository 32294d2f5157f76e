"""Downloads for officials: exact amounts, and text typed by users never runs as a formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from marketplace.common.spreadsheets import defused, write

HOSTILE = ['=HYPERLINK("http://x","点击")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_could_start_a_formula_is_defused(text):
    assert defused(text) == "'" + text


@pytest.mark.parametrize("text", ["张三", "无锡市梁溪区中山路1号", "320202********123X", ""])
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
