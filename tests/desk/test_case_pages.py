"""The desk's complaint cases: the city's cases, one case with attendance, earnings and
messages, notes and the outcome form (contract v1.1 "Disputes and complaint cases")."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from marketplace.disputes.models import Case
from marketplace.earnings.models import Earning
from tests.desk.conftest import post_form, sign_in

PAGE = "/desk/cases"


def test_the_page_lists_the_city_s_cases(client, wuxi_official, case_id):
    sign_in(client, wuxi_official)
    page = client.get(PAGE).get_data(as_text=True)
    assert f"/desk/cases/{case_id}" in page and "仓库分拣" in page and "劳动者异议" in page


def test_another_city_s_official_sees_no_case_and_cannot_open_one(client, xining_official, case_id):
    sign_in(client, xining_official)
    assert f"/desk/cases/{case_id}" not in client.get(PAGE).get_data(as_text=True)
    assert client.get(f"{PAGE}/{case_id}").status_code == 404


def test_a_case_shows_attendance_earnings_and_the_messages(client, wuxi_official, case_id):
    sign_in(client, wuxi_official)
    page = client.get(f"{PAGE}/{case_id}").get_data(as_text=True)
    assert "签到距离" in page and " 米" in page
    assert "180.00" in page and "平台核定" in page
    assert "主张 8.00 小时" in page and "实际工作8小时" in page
    assert "办结案件" in page


def test_the_official_writes_a_note_and_resolves_upheld_with_an_amount(
    client, wuxi_official, case_id, database
):
    sign_in(client, wuxi_official)
    url = f"{PAGE}/{case_id}"
    noted = post_form(client, url, f"{url}/notes", text="请用工方提供监控记录")
    assert noted.status_code == 303
    refused = post_form(
        client, url, f"{url}/resolve", outcome="dismissed", amount="60.00", reason="证据不足"
    )
    assert refused.status_code == 422 and database.get(Case, case_id).status == "open"
    resolved = post_form(
        client, url, f"{url}/resolve", outcome="upheld", amount="60.00", reason="考勤显示工作8小时"
    )
    assert resolved.status_code == 303
    database.expire_all()
    case = database.get(Case, case_id)
    assert (case.status, case.outcome, case.amount) == ("resolved", "upheld", Decimal("60.00"))
    assert database.scalar(select(Earning.amount).where(Earning.id == case.adjustment_id)) == (
        Decimal("60.00")
    )
    page = client.get(url).get_data(as_text=True)
    assert "请用工方提供监控记录" in page and "认定应补发 60.00 元" in page
    assert "办结案件" not in page


def test_an_admin_reads_cases_but_has_no_forms(client, admin, case_id, database):
    sign_in(client, admin)
    url = f"{PAGE}/{case_id}"
    page = client.get(url).get_data(as_text=True)
    assert "仓库分拣" in page and "办结案件" not in page
    response = post_form(client, PAGE, f"{url}/resolve", outcome="dismissed", reason="无")
    assert response.status_code == 403 and database.get(Case, case_id).status == "open"
