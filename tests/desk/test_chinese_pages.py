"""Everything an official reads on the desk is Chinese: no identifier, code or English gloss.

The visible text of every page (tags, scripts, styles and attribute values left out) is read for
Latin letters; the few the desk may show are listed with the reason they stay.
"""

from __future__ import annotations

import io
import re
from datetime import date
from html.parser import HTMLParser

from tests.conftest import resident_id
from tests.desk.conftest import csrf_of, sign_in
from tests.earnings.sheets import EARNINGS_HEADER, csv_file
from tests.subsidies.conftest import add_employment_registration

# What a Chinese official reads as written: the file formats named on the download links and on
# the import page.
ALLOWED = {"CSV", "Excel", "XLSX"}
ID_NUMBER = re.compile(r"[0-9*]{17}X")
# A policy version's SHA-256 as the policy pages shorten it (12 hexadecimal digits) is a number.
DIGEST = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{12}(?![0-9A-Za-z])")


class _Text(HTMLParser):
    """The text a reader sees: everything outside tags, scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "title"}:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "title"}:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def english_on(page: str) -> set[str]:
    """The Latin words of a page's visible text, less those the desk may show."""
    reader = _Text()
    reader.feed(page)
    # A resident ID number's check character may be X: "3202**********123X" is a number.
    text = DIGEST.sub("", ID_NUMBER.sub("", " ".join(reader.parts)))
    return set(re.findall(r"[A-Za-z][A-Za-z_.]*", text)) - ALLOWED


def test_every_desk_page_reads_in_chinese(
    client, wuxi_official, flagged, person, database, make_job, case_id, policy_draft
):
    service_flag, _ = flagged
    make_job(description="入职先交押金")  # a post held for review, on the reviews page
    worker = person(unemployment_registered_on=date(2025, 12, 10), verified=False)
    add_employment_registration(database, worker.id, date(2026, 1, 5))
    database.commit()
    sign_in(client, wuxi_official)
    pages = [
        "/desk/",
        "/desk/?status=",
        f"/desk/flags/{service_flag.id}",
        "/desk/statuses",
        f"/desk/workers/{worker.id}",
        f"/desk/workers/{service_flag.worker_id}",
        "/desk/stats",
        "/desk/ledger",
        "/desk/reviews",
        "/desk/cases",
        "/desk/cases?status=resolved",
        f"/desk/cases/{case_id}",
        "/desk/policies",
        f"/desk/policies/wuxi-2021-26/versions/{policy_draft.version}",
    ]
    found = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = english_on(response.get_data(as_text=True))
    assert found == {url: set() for url in pages}


def test_the_admins_import_page_reads_in_chinese_with_its_errors_too(client, admin, person):
    one = person()
    good = [one.id_number, "2026-01", "160", "2700.00"]
    sign_in(client, admin)
    pages = {"/desk/imports": client.get("/desk/imports")}
    token = csrf_of(pages["/desk/imports"].get_data(as_text=True))
    bad_rows = csv_file(
        [
            EARNINGS_HEADER,
            good,
            [one.id_number, "2026-13", "abc", "2700.555"],
            [resident_id(), "2026-02", "", "x"],
            [one.id_number, "2026-01", "1", "1"],
        ]
    )
    bad_header = csv_file(
        [["身份证号", "月份", "工时", "工时"], [one.id_number, "1", "2", "3", "多"]]
    )
    for name, content in (("rows", bad_rows), ("header", bad_header), ("xls", b"\xd0\xcf\x11\xe0")):
        pages[name] = client.post(
            "/desk/imports/earnings",
            data={"csrf_token": token, "source": "迁移", "file": (io.BytesIO(content), "a.csv")},
            content_type="multipart/form-data",
        )
    pages["done"] = client.post(
        "/desk/imports/earnings",
        data={
            "csrf_token": token,
            "source": "迁移",
            "file": (io.BytesIO(csv_file([EARNINGS_HEADER, good])), "a.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert {name: r.status_code for name, r in pages.items()} == {
        "/desk/imports": 200,
        "rows": 422,
        "header": 422,
        "xls": 422,
        "done": 200,
    }
    found = {name: english_on(response.get_data(as_text=True)) for name, response in pages.items()}
    assert found == {name: set() for name in pages}


def test_the_reader_finds_english_where_there_is_some() -> None:
    assert english_on("<p>依据 rate_per_class_hour = 18.50</p>") == {"rate_per_class_hour"}
    assert english_on("<p>导出 CSV</p><script>var x = 1;</script>") == set()
    assert english_on("<p>身份证 3202**********123X</p>") == set()
    assert english_on("<p>文件摘要 <code>3fa9c0be12d4</code></p>") == set()
    assert english_on("<p>文件摘要 3fa9c0be12d4ef</p>") == {"fa", "c", "be", "d", "ef"}
