"""Imports from spreadsheets: the same three imports, fed a CSV or XLSX file with Chinese headers.

Rows go through the JSON records' rules (all or nothing, keys replace); errors name the rows as
a spreadsheet shows them (the header is row 1); a file that cannot be read is refused whole.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from marketplace.audit.models import AuditEvent
from marketplace.common import uploads
from marketplace.earnings.files import EXAMPLE_ID_NUMBER, MAX_FILE_BYTES, decimal_text
from marketplace.earnings.models import Contribution, Earning, TrainingRecord
from marketplace.earnings.schemas import MAX_RECORDS
from tests.conftest import resident_id
from tests.earnings.sheets import (
    CONTRIBUTIONS_HEADER,
    EARNINGS_HEADER,
    TRAINING_HEADER,
    csv_file,
    rewritten,
    upload,
    xlsx_file,
)

EARNINGS = "/api/v1/earnings/import"
CONTRIBUTIONS = "/api/v1/contributions/import"
TRAINING = "/api/v1/training/import"
TEMPLATES = "/api/v1/imports/templates"


def count(database, model) -> int:
    return database.scalar(select(func.count()).select_from(model))


@pytest.fixture
def send(client, auth_headers, admin):
    """POST a file (and form fields) to an import as the admin, or as ``user``."""

    def post(path: str, content: bytes, filename: str = "records.csv", user=None, **fields):
        # Encoded here, in memory: the test client's own encoding leaves large bodies in a
        # temporary file it never closes.
        form = {"file": FileStorage(io.BytesIO(content), filename), **fields}
        body, length, boundary = stream_encode_multipart(form, use_tempfile=False)
        return client.post(
            path,
            data=body.read(length),
            headers=auth_headers(user or admin),
            content_type=f"multipart/form-data; boundary={boundary}",
        )

    return post


def earnings(send, content: bytes, filename: str = "records.csv", source: str = "老平台迁移"):
    return send(EARNINGS, content, filename, source=source)


def refusal(response) -> list[str]:
    """The messages of a refused file, after checking it is a 422 in the API's error shape."""
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "errors"}
    return body["errors"]["files"]["file"]


# --- what is read --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"], ids=["bom", "no-bom", "gbk", "gb18030"]
)
def test_income_is_imported_from_a_csv_in_each_encoding_excel_writes(
    send, person, database, admin, encoding
):
    one, two = person(), person()
    content = csv_file(
        [
            EARNINGS_HEADER,
            [one.id_number, "2026-01", "160", "2700.00"],
            [two.id_number, "2026-02", "7.5", "1350.5"],
        ],
        encoding,
    )
    response = earnings(send, content, source="老平台迁移")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"imported": 2, "replaced": 0}
    stored = database.scalars(select(Earning).order_by(Earning.id)).all()
    assert [(e.worker_id, e.month, e.hours, e.amount, e.source) for e in stored] == [
        (one.id, "2026-01", Decimal("160.00"), Decimal("2700.00"), "老平台迁移"),
        (two.id, "2026-02", Decimal("7.50"), Decimal("1350.50"), "老平台迁移"),
    ]
    assert {e.recorded_by for e in stored} == {admin.id}


def test_each_row_imported_from_a_file_is_an_audit_event(send, person, database, admin):
    one = person()
    earnings(send, csv_file([EARNINGS_HEADER, [one.id_number, "2026-01", "160", "2700.00"]]))
    earnings(send, csv_file([EARNINGS_HEADER, [one.id_number, "2026-01", "160", "2800.00"]]))
    imported = database.scalars(
        select(AuditEvent).where(AuditEvent.action == "earning.imported").order_by(AuditEvent.seq)
    ).all()
    assert [(e.actor_id, e.data["replaced"], e.data["amount"]) for e in imported] == [
        (admin.id, False, "2700.00"),
        (admin.id, True, "2800.00"),
    ]


def test_income_is_imported_from_a_workbook_with_numbers_and_date_cells(send, person, database):
    one, two = person(), person()
    content = xlsx_file(
        [
            EARNINGS_HEADER,
            [one.id_number, "2026-01", 160, 2700],
            [two.id_number, datetime(2026, 2, 1, tzinfo=UTC).replace(tzinfo=None), 7.5, 1350.5],
        ]
    )
    response = earnings(send, content, "收入.xlsx")
    assert response.get_json() == {"imported": 2, "replaced": 0}
    stored = database.scalars(select(Earning).order_by(Earning.id)).all()
    assert [(e.month, e.hours, e.amount) for e in stored] == [
        ("2026-01", Decimal("160.00"), Decimal("2700.00")),
        ("2026-02", Decimal("7.50"), Decimal("1350.50")),
    ]


def test_the_file_is_recognised_by_its_content_not_its_name(send, person, database):
    one = person()
    content = xlsx_file([EARNINGS_HEADER, [one.id_number, "2026-01", 160, 2700]])
    assert earnings(send, content, "收入.csv").status_code == 200


def test_a_formula_counts_as_the_value_excel_computed_for_it(send, person, database):
    one = person()
    content = rewritten(
        xlsx_file([EARNINGS_HEADER, [one.id_number, "2026-01", 160, "=1350.25*2"]]),
        {r"<f>1350.25\*2</f><v\s*/>": "<f>1350.25*2</f><v>2700.5</v>"},
    )
    assert earnings(send, content, "收入.xlsx").status_code == 200
    assert database.scalar(select(Earning.amount)) == Decimal("2700.50")


def test_a_float_sum_s_binary_noise_is_no_third_decimal(send, person, database):
    one = person()
    content = rewritten(
        xlsx_file([EARNINGS_HEADER, [one.id_number, "2026-01", 160, 2700]]),
        {r"<v>2700</v>": "<v>2700.0000000000005</v>"},
    )
    response = earnings(send, content, "收入.xlsx")
    assert response.status_code == 200, response.get_json()
    assert database.scalar(select(Earning.amount)) == Decimal("2700.00")


def test_money_with_a_third_decimal_is_refused_not_rounded(send, person, database):
    one = person()
    content = xlsx_file([EARNINGS_HEADER, [one.id_number, "2026-01", 160, 2700.555]])
    response = earnings(send, content, "收入.xlsx")
    assert response.status_code == 422
    [error] = response.get_json()["errors"]["records"]
    assert error["row"] == 2
    assert error["message"].startswith("收入: must be a decimal string")
    assert count(database, Earning) == 0


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (2700, "2700"),
        (2700.5, "2700.5"),
        (0.1 + 0.2, "0.3"),
        (2700.0000000000005, "2700"),
        (2700.555, "2700.555"),
        (1e-07, "0.0000001"),
        (1e20, "100000000000000000000"),
    ],
)
def test_a_spreadsheet_number_is_written_out_exactly_as_it_shows(number, text):
    assert decimal_text(number) == text


def test_an_error_cell_is_refused_at_its_row(send, person, database):
    one = person()
    content = rewritten(
        xlsx_file([EARNINGS_HEADER, [one.id_number, "2026-01", 160, 2700]]),
        {r'<c r="D2" t="n"><v>2700</v></c>': '<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'},
    )
    response = earnings(send, content, "收入.xlsx")
    assert response.get_json()["errors"]["records"] == [
        {"row": 2, "message": "收入: holds a spreadsheet error instead of a value"}
    ]


def test_an_id_number_stored_as_a_number_has_lost_digits_and_is_refused(send, person, database):
    one = person()
    two = next(p for p in iter(person, None) if not p.id_number.endswith("X"))
    content = rewritten(
        xlsx_file(
            [
                EARNINGS_HEADER,
                [int(one.id_number[:17] + "0"), "2026-01", 160, 2700],  # as Excel keeps it
                [1, "2026-01", 1, 1],
            ]
        ),
        # A program may write all the digits of an integer: those are exact.
        {r'<c r="A3" t="n"><v>1</v></c>': f'<c r="A3" t="n"><v>{two.id_number}</v></c>'},
    )
    response = earnings(send, content, "收入.xlsx")
    assert response.get_json()["errors"]["records"] == [
        {
            "row": 2,
            "message": "身份证号: is stored as a number, which loses its last digits; "
            "format the column as text",
        }
    ]


def test_months_and_days_written_year_first_as_excel_writes_them(send, person, database):
    one = person()
    content = csv_file(
        [
            TRAINING_HEADER,
            [one.id_number, "家政服务", "20", "2026/2/1"],
            [one.id_number, "养老护理", "10.5", "2026年3月5日"],
            [one.id_number, "育婴", "8", "2026-04-06"],
        ]
    )
    assert send(TRAINING, content).status_code == 200
    days = database.scalars(select(TrainingRecord.completed_on).order_by(TrainingRecord.id))
    assert list(days) == [date(2026, 2, 1), date(2026, 3, 5), date(2026, 4, 6)]
    months = csv_file(
        [
            EARNINGS_HEADER,
            [one.id_number, "2026/1", "1", "1"],
            [one.id_number, "2026年2月", "1", "1"],
            [one.id_number, "2026/3/1", "1", "1"],
        ]
    )
    assert earnings(send, months).status_code == 200
    assert list(database.scalars(select(Earning.month).order_by(Earning.month))) == [
        "2026-01",
        "2026-02",
        "2026-03",
    ]


def test_blank_rows_are_skipped_and_columns_may_come_in_any_order(send, person, database):
    one, two = person(), person()
    content = csv_file(
        [
            ["收入", "身份证号", "工时", "月份", ""],
            ["2700.00", one.id_number, "160", "2026-01", ""],
            ["", "", "", "", ""],
            [" 2800.00 ", f" {two.id_number} ", "150", "2026-01"],
            [],
        ]
    )
    response = earnings(send, content)
    assert response.get_json() == {"imported": 2, "replaced": 0}


def test_premiums_and_training_are_imported_from_files(send, person, database):
    one = person()
    premiums = xlsx_file(
        [
            CONTRIBUTIONS_HEADER,
            [one.id_number, "2026-01", 600, 240],
            [one.id_number, "2026-02", 600.5, "240.00"],
        ]
    )
    assert send(CONTRIBUTIONS, premiums, "社保.xlsx").get_json() == {"imported": 2, "replaced": 0}
    again = csv_file([CONTRIBUTIONS_HEADER, [one.id_number, "2026-01", "700.00", "240.00"]])
    assert send(CONTRIBUTIONS, again).get_json() == {"imported": 0, "replaced": 1}
    stored = database.scalars(select(Contribution).order_by(Contribution.month)).all()
    assert [(c.month, c.pension) for c in stored] == [
        ("2026-01", Decimal("700.00")),
        ("2026-02", Decimal("600.50")),
    ]
    training = xlsx_file(
        [
            TRAINING_HEADER,
            [one.id_number, "家政服务", 20, datetime(2026, 2, 1, tzinfo=UTC).replace(tzinfo=None)],
        ]
    )
    assert send(TRAINING, training, "培训.xlsx").get_json() == {"imported": 1, "replaced": 0}
    assert database.scalar(select(TrainingRecord.class_hours)) == Decimal("20.00")


# --- bad rows: all or nothing, named by row ------------------------------------------------------


def test_bad_rows_store_nothing_and_are_named_by_their_spreadsheet_row(send, person, database):
    one, two = person(), person()
    logged = count(database, AuditEvent)
    content = csv_file(
        [
            EARNINGS_HEADER,
            [one.id_number, "2026-01", "160", "2700.00"],  # row 2: fine
            [one.id_number, "2026-13", "160", "2700.00"],  # row 3: no such month
            [],  # row 4: blank, skipped
            [resident_id(), "2026-02", "160", "2700.00"],  # row 5: nobody's
            [two.id_number, "2026-02", "", "2700.555"],  # row 6: two cells wrong
            [one.id_number, "2026-01", "150", "2800.00"],  # row 7: repeats row 2
        ]
    )
    response = earnings(send, content)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "4 of 5 rows are invalid; nothing was imported"
    assert body["errors"]["records"] == [
        {"row": 3, "message": "月份: must be a month YYYY-MM"},
        {"row": 5, "message": "身份证号: no worker profile has it"},
        {
            "row": 6,
            "message": "工时: Missing data for required field.; "
            '收入: must be a decimal string in yuan with at most two decimals, e.g. "25.00"',
        },
        {"row": 7, "message": "repeats the key (身份证号, 月份 2026-01) of row 2"},
    ]
    assert count(database, Earning) == 0
    assert count(database, AuditEvent) == logged


def test_a_json_body_still_names_bad_records_by_index(client, auth_headers, admin, person):
    response = client.post(
        EARNINGS,
        json={
            "source": "migration",
            "records": [
                {"id_number": resident_id(), "month": "2026-01", "hours": 1, "income": "1"}
            ],
        },
        headers=auth_headers(admin),
    )
    assert response.get_json()["errors"] == {
        "records": [{"index": 0, "message": "id_number: no worker profile has it"}]
    }


# --- files refused whole ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "messages"),
    [
        (["身份证号", "月份", "工时"], ["missing columns: 收入"]),
        ([*EARNINGS_HEADER, "备注"], ["unknown columns: 备注"]),
        ([*EARNINGS_HEADER, "月份"], ["repeated columns: 月份"]),
        (["id_number", "month", "hours", "income"], None),
    ],
    ids=["missing", "unknown", "repeated", "english"],
)
def test_a_header_that_is_not_the_template_s_is_refused(send, person, database, header, messages):
    one = person()
    row = [one.id_number, "2026-01", "160", "2700.00", "x"][: len(header)]
    response = earnings(send, csv_file([header, row]))
    found = refusal(response)
    assert response.get_json()["message"] == "the header row (row 1) is not the template's"
    if messages is not None:
        assert found == messages
    else:
        assert found == [
            "missing columns: 身份证号, 月份, 工时, 收入",
            "unknown columns: id_number, month, hours, income",
        ]
    assert count(database, Earning) == 0


def test_values_under_no_header_refuse_the_file(send, person, database):
    one = person()
    content = csv_file([EARNINGS_HEADER, [one.id_number, "2026-01", "160", "2700.00", "多余"]])
    assert refusal(earnings(send, content)) == ["values under no header in columns: 5"]


def test_the_header_must_be_row_1(send, person):
    one = person()
    content = csv_file([[], EARNINGS_HEADER, [one.id_number, "2026-01", "160", "2700.00"]])
    assert refusal(earnings(send, content))[0].startswith("missing columns")


@pytest.mark.parametrize(
    "content",
    [b"", b"\xef\xbb\xbf", b"\r\n \r\n", xlsx_file([])],
    ids=["nothing", "bom", "blank-lines", "empty-workbook"],
)
def test_an_empty_file_is_refused(send, content):
    assert refusal(earnings(send, content)) == ["the file is empty"]


def test_a_file_of_only_its_header_is_refused(send):
    response = earnings(send, csv_file([EARNINGS_HEADER]))
    assert refusal(response) == ["the file has no records below its header row"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "neither CSV"),
        (b"%PDF-1.7\n\x00\x01\x02", "neither CSV"),
        ("身份证号,月份".encode("utf-16"), "neither CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), ".xls workbook"),
        (b"PK\x03\x04 not really a zip", "cannot be read"),
    ],
    ids=["png", "pdf", "utf-16", "xls", "broken-zip"],
)
def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(send, database, content, message):
    [found] = refusal(earnings(send, content, "收入.xlsx"))
    assert message in found
    assert count(database, Earning) == 0


def test_a_file_over_5_mb_is_refused(send, person, database):
    one = person()
    row = f"{one.id_number},2026-01,160,2700.00\r\n".encode()
    header = ",".join(EARNINGS_HEADER).encode() + b"\r\n"
    just_over = header + b" " * (MAX_FILE_BYTES + 1 - len(header) - len(row)) + row
    assert len(just_over) == MAX_FILE_BYTES + 1
    assert refusal(earnings(send, just_over)) == ["must be at most 5 MB"]
    far_over = header + b" " * (2 * MAX_FILE_BYTES)
    response = earnings(send, far_over)
    assert refusal(response) == ["must be at most 5 MB"]
    assert count(database, Earning) == 0


def test_a_file_of_5_mb_is_read(send, person, database):
    one = person()
    row = f"{one.id_number},2026-01,160,2700.00\r\n".encode()
    header = ",".join(EARNINGS_HEADER).encode() + b"\r\n"
    # Trailing blank lines (as a spreadsheet leaves them) fill the file up to the limit.
    exactly = header + row + b"\r\n" * ((MAX_FILE_BYTES - len(header) - len(row)) // 2)
    assert MAX_FILE_BYTES - 1 <= len(exactly) <= MAX_FILE_BYTES
    assert earnings(send, exactly).status_code == 200


def test_more_rows_than_an_import_takes_are_refused(send, person, database):
    one = person()
    rows = [EARNINGS_HEADER] + [[one.id_number, "2026-01", "1", "1"]] * (MAX_RECORDS + 1)
    response = earnings(send, csv_file(rows))
    assert refusal(response) == [f"must have at most {MAX_RECORDS} rows below the header"]


# --- the form -------------------------------------------------------------------------------------


def test_the_income_s_source_is_a_form_field_checked_as_in_json(
    client, auth_headers, admin, person
):
    one = person()
    content = csv_file([EARNINGS_HEADER, [one.id_number, "2026-01", "160", "2700.00"]])
    headers = auth_headers(admin)
    missing = client.post(EARNINGS, data=upload(content), headers=headers)
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == {
        "form": {"source": ["Missing data for required field."]}
    }
    reserved = client.post(EARNINGS, data=upload(content, source="platform"), headers=headers)
    assert reserved.get_json()["errors"] == {
        "form": {"source": ["is reserved for earnings from bookings and their adjustments"]}
    }


def test_a_form_without_a_file_or_with_other_fields_is_refused(client, auth_headers, admin):
    headers = auth_headers(admin)
    no_file = client.post(
        CONTRIBUTIONS, data={"x": "1"}, headers=headers, content_type="multipart/form-data"
    )
    assert no_file.status_code == 422
    assert no_file.get_json()["errors"] == {
        "files": {"file": ["Missing data for required field."]},
        "form": {"x": ["Unknown field."]},
    }
    two_files = client.post(
        CONTRIBUTIONS,
        data={"file": [(io.BytesIO(b"a"), "a.csv"), (io.BytesIO(b"b"), "b.csv")]},
        headers=headers,
    )
    assert two_files.get_json()["errors"] == {"files": {"file": ["must be one file"]}}


@pytest.mark.parametrize("role", ["worker", "employer", "broker", "official"])
def test_only_admins_import_files(send, make_user, person, database, role):
    one = person()
    user = make_user(role, city="wuxi" if role == "official" else None)
    content = csv_file([EARNINGS_HEADER, [one.id_number, "2026-01", "160", "2700.00"]])
    for path in (EARNINGS, CONTRIBUTIONS, TRAINING):
        assert send(path, content, user=user, source="migration").status_code == 403
    assert count(database, Earning) == 0


def test_an_anonymous_upload_is_401_before_its_file_is_read(client):
    response = client.post(EARNINGS, data=upload(b"x" * 1024), content_type="multipart/form-data")
    assert response.status_code == 401


def test_an_idempotency_key_replays_a_file_import_sent_again(client, auth_headers, admin, person):
    one = person()
    content = csv_file([EARNINGS_HEADER, [one.id_number, "2026-01", "160", "2700.00"]])
    headers = {**auth_headers(admin), "Idempotency-Key": "file-1"}
    # A client draws a new multipart boundary, and may name the file anew, for each request.
    first = client.post(EARNINGS, data=upload(content, "a.csv", source="m"), headers=headers)
    second = client.post(EARNINGS, data=upload(content, "b.csv", source="m"), headers=headers)
    assert first.get_json() == second.get_json() == {"imported": 1, "replaced": 0}
    assert second.headers["Idempotent-Replayed"] == "true"
    other = csv_file([EARNINGS_HEADER, [one.id_number, "2026-02", "160", "2700.00"]])
    refused = client.post(EARNINGS, data=upload(other, "a.csv", source="m"), headers=headers)
    assert refused.status_code == 422


# --- templates -----------------------------------------------------------------------------------

HEADERS = {
    "earnings": EARNINGS_HEADER,
    "contributions": CONTRIBUTIONS_HEADER,
    "training": TRAINING_HEADER,
}
PATHS = {"earnings": EARNINGS, "contributions": CONTRIBUTIONS, "training": TRAINING}


@pytest.fixture
def download(client, auth_headers, admin):
    def get(kind: str, file_format: str, user=None):
        return client.get(f"{TEMPLATES}/{kind}.{file_format}", headers=auth_headers(user or admin))

    return get


@pytest.mark.parametrize("kind", list(HEADERS))
def test_the_csv_template_has_the_chinese_header_an_example_and_a_bom(download, kind):
    response = download(kind, "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{kind}-import-template.csv"'
    )
    content = response.get_data()
    assert content.startswith(b"\xef\xbb\xbf")
    header, example = content.decode("utf-8-sig").splitlines()
    assert header.split(",") == HEADERS[kind]
    assert example.startswith(EXAMPLE_ID_NUMBER + ",")


@pytest.mark.parametrize("kind", list(HEADERS))
def test_the_xlsx_template_keeps_id_numbers_as_text(download, kind):
    response = download(kind, "xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS[kind]
    assert rows[1][0] == EXAMPLE_ID_NUMBER
    assert len(rows) == 2
    # New ID numbers typed into the column stay text, with all 18 digits.
    assert sheet.column_dimensions["A"].number_format == "@"
    assert workbook.sheetnames[1] == "填写说明"


def _filled_in_csv(template: bytes, rows: list[list[str]]) -> bytes:
    header = template.decode("utf-8-sig").splitlines()[0]
    return csv_file([header.split(","), *rows])


def _filled_in_xlsx(template: bytes, rows: list[list[object]]) -> bytes:
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    for column, value in enumerate(rows[0], start=1):  # the example row replaced
        sheet.cell(row=2, column=column, value=value)
    for row in rows[1:]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_downloaded_template_filled_in_is_imported(download, send, person, database, file_format):
    one, two = person(), person()
    values = {
        "earnings": [
            [one.id_number, "2026-01", "160", "2700.00"],
            [two.id_number, "2026-02", "8", "99.5"],
        ],
        "contributions": [
            [one.id_number, "2026-01", "600", "240.00"],
            [two.id_number, "2026-01", "1", "2"],
        ],
        "training": [
            [one.id_number, "家政服务", "20", "2026-02-01"],
            [two.id_number, "育婴", "4", "2026-03-01"],
        ],
    }
    for kind, rows in values.items():
        template = download(kind, file_format).get_data()
        if file_format == "csv":
            content = _filled_in_csv(template, rows)
        else:
            content = _filled_in_xlsx(template, rows)
        source = {"source": "模板"} if kind == "earnings" else {}
        response = send(PATHS[kind], content, f"filled.{file_format}", **source)
        assert response.get_json() == {"imported": 2, "replaced": 0}, (kind, response.get_json())
    assert count(database, Earning) == count(database, Contribution) == 2
    assert count(database, TrainingRecord) == 2


def test_a_template_sent_back_with_its_example_is_refused_at_row_2(download, send, database):
    template = download("earnings", "xlsx").get_data()
    response = send(EARNINGS, template, "template.xlsx", source="模板")
    assert response.get_json()["errors"]["records"] == [
        {"row": 2, "message": "身份证号: no worker profile has it"}
    ]


@pytest.mark.parametrize("role", ["worker", "official"])
def test_only_admins_download_templates(download, make_user, role):
    user = make_user(role, city="wuxi" if role == "official" else None)
    assert download("earnings", "csv", user=user).status_code == 403


@pytest.mark.parametrize("path", ["salaries.csv", "earnings.xls", "earnings", "earnings.csv.exe"])
def test_an_unknown_template_is_404(client, auth_headers, admin, path):
    response = client.get(f"{TEMPLATES}/{path}", headers=auth_headers(admin))
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_a_workbook_that_unpacks_too_large_is_never_opened(send, person, monkeypatch):
    one = person()
    content = xlsx_file([EARNINGS_HEADER, [one.id_number, "2026-01", 160, 2700]])
    # A few kilobytes of archive may unpack to gigabytes: the sizes it declares are checked first.
    monkeypatch.setattr(uploads, "MAX_UNPACKED_BYTES", 4096)
    assert refusal(earnings(send, content, "收入.xlsx")) == ["must be at most 4 KB"]


def test_only_a_file_may_be_larger_than_the_api_s_body_limit(client, auth_headers, admin):
    records = [{"id_number": "x" * 100, "month": "2026-01", "hours": 1, "income": "1"}] * 30_000
    response = client.post(
        EARNINGS, json={"source": "m", "records": records}, headers=auth_headers(admin)
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == 413


def test_parts_without_names_are_refused_not_a_crash(client, auth_headers, admin):
    # Found by the fuzz test: werkzeug names such a part None, which sorts with no text.
    body = (
        b'--b\r\nContent-Disposition: form-data; name=""\r\n\r\nnull\r\n'
        b'--b\r\nContent-Disposition: form-data; filename="a.csv"\r\n\r\nxx\r\n--b--\r\n'
    )
    response = client.post(
        TRAINING,
        data=body,
        content_type="multipart/form-data; boundary=b",
        headers={**auth_headers(admin), "Idempotency-Key": "unnamed"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "files": {"file": ["Missing data for required field."]},
        "form": {"": ["Unknown field."]},
    }
