"""The desk's import page: admins upload a filled-in template and read the result in Chinese."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from marketplace.audit.models import AuditEvent
from marketplace.common import uploads
from marketplace.common.uploads import FileRefused
from marketplace.desk import imports as page
from marketplace.earnings import files
from marketplace.earnings.files import MAX_FILE_BYTES
from marketplace.earnings.models import Contribution, Earning
from tests.conftest import resident_id
from tests.desk.conftest import csrf_of, sign_in
from tests.earnings.sheets import CONTRIBUTIONS_HEADER, EARNINGS_HEADER, csv_file, xlsx_file

PAGE = "/desk/imports"


def count(database, model) -> int:
    return database.scalar(select(func.count()).select_from(model))


def upload(client, kind: str, content: bytes | None, filename: str = "记录.csv", **fields):
    """Submit the page's form of ``kind`` with ``content`` as the file (None: no file chosen)."""
    token = csrf_of(client.get(PAGE).get_data(as_text=True))
    chosen = (io.BytesIO(content), filename) if content is not None else (io.BytesIO(b""), "")
    data = {"csrf_token": token, "file": chosen, **fields}
    return client.post(f"{PAGE}/{kind}", data=data, content_type="multipart/form-data")


def test_an_admin_uploads_a_csv_and_sees_the_counts(client, admin, person, database):
    one, two = person(), person()
    sign_in(client, admin)
    content = csv_file(
        [
            EARNINGS_HEADER,
            [one.id_number, "2026-01", "160", "2700.00"],
            [two.id_number, "2026-01", "80", "1350.00"],
        ]
    )
    response = upload(client, "earnings", content, source="旧系统迁移")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(PAGE)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "收入记录导入完成：新增 2 条，替换原有记录 0 条。" in page
    stored = database.scalars(select(Earning).order_by(Earning.id)).all()
    assert [(e.worker_id, e.source, e.recorded_by) for e in stored] == [
        (one.id, "旧系统迁移", admin.id),
        (two.id, "旧系统迁移", admin.id),
    ]
    again = upload(client, "earnings", content, source="旧系统迁移")
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "新增 0 条，替换原有记录 2 条" in page
    assert count(database, Earning) == 2
    imported = select(func.count()).where(AuditEvent.action == "earning.imported")
    assert database.scalar(imported) == 4


def test_an_admin_uploads_a_workbook_of_premiums(client, admin, person, database):
    one = person()
    sign_in(client, admin)
    content = xlsx_file([CONTRIBUTIONS_HEADER, [one.id_number, "2026-01", 600, 240.5]])
    response = upload(client, "contributions", content, "社保.xlsx")
    assert response.status_code == 303
    assert "社保缴费记录导入完成：新增 1 条" in client.get(PAGE).get_data(as_text=True)
    assert count(database, Contribution) == 1


def test_bad_rows_are_listed_by_row_in_chinese_and_nothing_is_stored(
    client, admin, person, database
):
    one = person()
    sign_in(client, admin)
    content = csv_file(
        [
            EARNINGS_HEADER,
            [one.id_number, "2026-01", "160", "2700.00"],
            [one.id_number, "2026-13", "160", "2700.555"],
            [resident_id(), "2026-02", "160", "2700.00"],
            [one.id_number, "2026-08", "", "2700.00"],
            [one.id_number, "2026-01", "150", "2800.00"],
        ]
    )
    response = upload(client, "earnings", content, source="旧系统迁移")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "文件未导入，没有保存任何记录。有4行出错" in page
    assert "第3行：月份应为年月，例如 2026-01；收入应为以元为单位的金额" in page
    assert "第4行：身份证号在系统中找不到对应的零工" in page
    assert "第5行：月份不能晚于本月；工时不能为空" in page
    assert "第6行：与第2行重复（身份证号、月份相同：2026-01）" in page
    assert 'value="旧系统迁移"' in page  # the form keeps what was typed
    assert count(database, Earning) == 0


def test_a_file_whose_header_is_not_the_template_s_is_refused_in_chinese(client, admin, person):
    one = person()
    sign_in(client, admin)
    content = csv_file([["身份证号", "月份", "工时", "备注"], [one.id_number, "2026-01", "1", "x"]])
    response = upload(client, "earnings", content, source="旧系统迁移")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "第1行的列名与模板不符" in page
    assert "缺少列：收入" in page and "模板中没有的列：备注" in page
    assert "模板的列名为：身份证号、月份、工时、收入" in page


@pytest.mark.parametrize(
    ("content", "filename", "said"),
    [
        (b"", "empty.csv", "文件是空的。"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "photo.png", "既不是 CSV 文件，也不是 Excel（XLSX）文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "old.xls", "旧版 Excel 文件"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_in_chinese(client, admin, content, filename, said):
    sign_in(client, admin)
    response = upload(client, "training", content, filename)
    assert response.status_code == 422
    assert said in response.get_data(as_text=True)


def test_a_form_without_a_file_or_a_source_says_what_is_missing(client, admin, database):
    sign_in(client, admin)
    response = upload(client, "earnings", None, source="")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请填写收入来源" in page and "请选择要上传的" in page
    reserved = upload(client, "earnings", csv_file([EARNINGS_HEADER]), source="platform")
    assert "这个收入来源名称由平台保留" in reserved.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, admin, database):
    sign_in(client, admin)
    token = csrf_of(client.get(PAGE).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "file": FileStorage(io.BytesIO(b" " * (MAX_FILE_BYTES + 100 * 1024)), "big.csv"),
    }
    # Encoded in memory: the test client's own encoding leaves large bodies in a temporary file.
    body, length, boundary = stream_encode_multipart(form, use_tempfile=False)
    response = client.post(
        f"{PAGE}/training",
        data=body.read(length),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 422
    assert "文件太大：不能超过5兆字节。" in response.get_data(as_text=True)


def test_the_page_offers_each_template_to_download(client, admin):
    sign_in(client, admin)
    page = client.get(PAGE).get_data(as_text=True)
    for kind in ("earnings", "contributions", "training"):
        for file_format in ("csv", "xlsx"):
            assert f"{PAGE}/templates/{kind}.{file_format}" in page
    csv_template = client.get(f"{PAGE}/templates/earnings.csv")
    assert csv_template.status_code == 200
    assert csv_template.get_data().startswith("\ufeff身份证号,月份,工时,收入".encode())
    workbook = client.get(f"{PAGE}/templates/training.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.get_data())).worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["身份证号", "课程", "课时", "完成日期"]


def test_a_template_from_the_page_filled_in_is_imported(client, admin, person, database):
    one = person()
    sign_in(client, admin)
    template = client.get(f"{PAGE}/templates/earnings.csv").get_data().decode("utf-8-sig")
    header = template.splitlines()[0].split(",")
    content = csv_file([header, [one.id_number, "2026-03", "20", "300.00"]])
    assert upload(client, "earnings", content, source="旧系统迁移").status_code == 303
    assert database.scalar(select(Earning.amount)) is not None


def test_admins_have_the_import_link_and_officials_do_not(client, admin, wuxi_official):
    sign_in(client, admin)
    assert f'href="{PAGE}"' in client.get("/desk/").get_data(as_text=True)
    client.post("/desk/logout", data={"csrf_token": csrf_of(client.get("/desk/").get_data(True))})
    sign_in(client, wuxi_official)
    assert f'href="{PAGE}"' not in client.get("/desk/").get_data(as_text=True)


def test_an_official_may_not_upload_or_download_templates(
    client, admin, wuxi_official, person, database
):
    one = person()
    sign_in(client, wuxi_official)
    response = client.get(PAGE)
    assert response.status_code == 403
    assert "只有平台管理员可以导入数据" in response.get_data(as_text=True)
    assert client.get(f"{PAGE}/templates/earnings.csv").status_code == 403
    token = csrf_of(client.get("/desk/").get_data(as_text=True))
    content = csv_file([EARNINGS_HEADER, [one.id_number, "2026-01", "160", "2700.00"]])
    posted = client.post(
        f"{PAGE}/earnings",
        data={"csrf_token": token, "source": "旧系统迁移", "file": (io.BytesIO(content), "a.csv")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 403
    assert count(database, Earning) == 0


def test_an_upload_without_the_csrf_token_imports_nothing(client, admin, person, database):
    one = person()
    sign_in(client, admin)
    content = csv_file([EARNINGS_HEADER, [one.id_number, "2026-01", "160", "2700.00"]])
    response = client.post(
        f"{PAGE}/earnings",
        data={"source": "旧系统迁移", "file": (io.BytesIO(content), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert count(database, Earning) == 0


def test_the_page_is_for_signed_in_users_only(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/desk/login" in response.headers["Location"]


def test_every_refusal_and_every_column_has_its_chinese():
    reasons = [
        uploads.TOO_LARGE,
        uploads.EMPTY,
        uploads.NOT_A_SPREADSHEET,
        uploads.OLD_EXCEL,
        uploads.UNREADABLE,
        uploads.TOO_MANY_ROWS,
        files.HEADER,
        files.NO_RECORDS,
    ]
    headlines = [
        page.file_refusal("earnings", FileRefused(reason, message="x")).headline
        for reason in reasons
    ]
    assert len(set(headlines)) == len(reasons)  # none falls back on another's words
    assert set(uploads.MESSAGES) <= set(reasons)
    fields = {column.field for layout in files.LAYOUTS.values() for column in layout.columns}
    assert fields <= set(page.FIELD_HINTS)
