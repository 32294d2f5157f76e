"""The officials' desk: signing in, the queue, a flag's page, decisions, statistics, downloads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace import clock
from marketplace.audit.models import AuditEvent
from marketplace.auth.models import AccessToken, LoginFailure
from marketplace.desk import charts
from marketplace.desk.models import DeskSession
from marketplace.desk.server_sessions import id_hash
from marketplace.subsidies.models import SubsidyFlag
from marketplace.workers.models import Worker
from marketplace.workers.services import id_cipher
from tests.desk.conftest import COOKIE, csrf_of, desk_cookie, post_form, sign_in

QUEUE = "/desk/"


def flag_worker(database, flag) -> Worker:
    return database.get(Worker, flag.worker_id)


def status_of(database, flag_id: int) -> str:
    database.expire_all()
    return database.get(SubsidyFlag, flag_id).status


# --- signing in -------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_sign_in_and_back_where_they_were_going(
    client, wuxi_official, flagged
):
    target = f"/desk/flags/{flagged[0].id}"
    response = client.get(target)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/desk/login?next={target}"
    signed_in = sign_in(client, wuxi_official, next_page=target)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == target
    assert client.get(target).status_code == 200


def test_the_session_cookie_is_http_only_and_same_site(client, wuxi_official):
    sign_in(client, wuxi_official)
    cookie = desk_cookie(client)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert cookie.path == "/desk"  # the API is never sent it


def test_a_wrong_password_is_refused_and_counts_against_the_login_throttle(
    client, wuxi_official, database
):
    before = database.scalar(select(func.count()).select_from(LoginFailure))
    response = sign_in(client, wuxi_official, password="wrong-password")
    assert response.status_code == 401
    assert "手机号或密码错误" in response.get_data(as_text=True)
    assert database.scalar(select(func.count()).select_from(LoginFailure)) == before + 1
    assert client.get(QUEUE).status_code == 302  # still signed out


@pytest.mark.parametrize("role", ["worker", "employer", "broker"])
def test_only_officials_and_admins_may_sign_in(client, make_user, role):
    response = sign_in(client, make_user(role))
    assert response.status_code == 403
    assert "审核台仅供" in response.get_data(as_text=True)
    assert client.get(QUEUE).status_code == 302


def test_a_sign_in_without_the_csrf_token_is_refused(client, wuxi_official):
    response = client.post("/desk/login", data={"phone": wuxi_official.phone, "password": "x"})
    assert response.status_code == 400
    assert client.get(QUEUE).status_code == 302


# Return addresses that must be ignored: other sites, paths outside the desk or climbing out of it,
# and control characters, which would split the Location header (a 500 before).
NOT_A_DESK_PATH = [
    "https://evil.example/desk/",
    "//evil.example/desk/",
    "/\\evil.example",
    "javascript:alert(1)",
    "/api/v1/auth/me",
    "/desk/../api/v1/auth/me",
    "/desk/%2e%2e/api/v1/auth/me",
    "/desk/\\..\\api",
    "/desk/\r\nSet-Cookie: marketplace_desk=planted",
    "/desk/\n",
    "/desk/\r",
    "/desk/\x00",
    "/desk/\x7f",
    "/desk/\u0085",
    "/desk/\tstats",
    "/desk/" + "a" * 2000,
]


@pytest.mark.parametrize("target", NOT_A_DESK_PATH)
def test_next_never_leaves_the_desk(client, wuxi_official, target):
    response = sign_in(client, wuxi_official, next_page=target)
    assert response.status_code == 303 and response.headers["Location"] == "/desk/"


@pytest.mark.parametrize("target", NOT_A_DESK_PATH)
def test_a_bad_next_of_a_signed_in_official_is_ignored_never_a_500(client, wuxi_official, target):
    sign_in(client, wuxi_official)
    response = client.get("/desk/login", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/desk/"
    signed_out = client.application.test_client().get("/desk/login", query_string={"next": target})
    assert signed_out.status_code == 200 and 'name="next"' not in signed_out.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/desk/\r\nLocation: https://evil.example", "/api/v1/x"])
def test_a_bad_way_back_from_a_flag_is_ignored_never_a_500(
    client, wuxi_official, flagged, target, database
):
    sign_in(client, wuxi_official)
    url = f"/desk/flags/{flagged[0].id}"
    page = client.get(url, query_string={"back": target})
    assert page.status_code == 200 and 'href="/desk/"' in page.get_data(as_text=True)
    decided = post_form(client, url, f"{url}/decision", decision="approve", back=target)
    assert decided.status_code == 303 and decided.headers["Location"] == "/desk/"
    assert status_of(database, flagged[0].id) == "approved"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/desk/stats", "/desk/stats"),
        ("/desk/flags/7?back=/desk/", "/desk/flags/7?back=/desk/"),
        ("/desk/统计", "/desk/%E7%BB%9F%E8%AE%A1"),  # sent as a URI, not a 500
    ],
)
def test_a_desk_path_is_followed(client, wuxi_official, target, location):
    response = sign_in(client, wuxi_official, next_page=target)
    assert response.headers["Location"] == location


def test_a_signed_in_official_asked_to_sign_in_goes_where_they_were_heading(client, wuxi_official):
    sign_in(client, wuxi_official)
    response = client.get("/desk/login", query_string={"next": "/desk/stats"})
    assert response.status_code == 302 and response.headers["Location"] == "/desk/stats"


def test_a_decision_sent_after_the_session_ran_out_returns_to_the_flag_after_sign_in(
    client, wuxi_official, flagged, database
):
    flag = flagged[0]
    sign_in(client, wuxi_official)
    url = f"/desk/flags/{flag.id}"
    form = client.get(url).get_data(as_text=True)
    database.execute(
        AccessToken.__table__.update().values(revoked_at=clock.now())
    )  # the session's token is gone (expired, or revoked by an administrator)
    database.commit()
    response = client.post(
        f"{url}/decision",
        data={"csrf_token": csrf_of(form), "decision": "approve", "here": f"{url}?back=/desk/"},
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/desk/login"
    assert parse_qs(location.query)["next"] == [f"{url}?back=/desk/"]
    assert status_of(database, flag.id) == "pending"
    back = sign_in(client, wuxi_official, next_page=f"{url}?back=/desk/")
    assert back.headers["Location"] == f"{url}?back=/desk/"


def test_a_form_left_open_within_the_idle_timeout_still_submits(
    client, wuxi_official, flagged, database
):
    flag = flagged[0]
    url = f"/desk/flags/{flag.id}"
    with time_machine.travel(clock.now(), tick=False) as traveller:
        sign_in(client, wuxi_official)
        form = client.get(url).get_data(as_text=True)
        traveller.shift(timedelta(minutes=29))  # checking papers; the session idles 30 minutes
        response = client.post(
            f"{url}/decision", data={"csrf_token": csrf_of(form), "decision": "approve"}
        )
    assert response.status_code == 303
    assert status_of(database, flag.id) == "approved"


def test_a_form_sent_after_the_idle_timeout_returns_to_the_flag_after_sign_in(
    client, wuxi_official, flagged, database
):
    flag = flagged[0]
    url = f"/desk/flags/{flag.id}"
    with time_machine.travel(clock.now(), tick=False) as traveller:
        sign_in(client, wuxi_official)
        form = client.get(url).get_data(as_text=True)
        traveller.shift(timedelta(minutes=31))
        response = client.post(
            f"{url}/decision",
            data={"csrf_token": csrf_of(form), "decision": "approve", "here": url},
        )
        assert response.status_code == 302
        assert response.headers["Location"] == f"/desk/login?next={url}"
        assert status_of(database, flag.id) == "pending"
        assert sign_in(client, wuxi_official, next_page=url).headers["Location"] == url


def test_signing_out_revokes_the_token_so_the_old_cookie_is_worthless(
    client, wuxi_official, database
):
    sign_in(client, wuxi_official)
    stolen = desk_cookie(client).value
    assert database.scalar(select(DeskSession).where(DeskSession.id_hash == id_hash(stolen)))
    assert post_form(client, QUEUE, "/desk/logout").status_code == 303
    database.expire_all()
    assert not database.scalar(select(DeskSession).where(DeskSession.id_hash == id_hash(stolen)))
    assert database.scalar(select(func.count()).where(AccessToken.revoked_at.is_(None))) == 0
    client.set_cookie(COOKIE, stolen, path="/desk")
    replayed = client.get(QUEUE)
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/desk/login")


def test_desk_pages_carry_a_strict_policy_and_are_never_cached(client, wuxi_official):
    sign_in(client, wuxi_official)
    response = client.get(QUEUE)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


# --- the queue --------------------------------------------------------------------------------


def test_an_official_sees_the_pending_flags_of_their_city_only(client, wuxi_official, flagged):
    wuxi_flag, xining_flag = flagged
    sign_in(client, wuxi_official)
    page = client.get(QUEUE).get_data(as_text=True)
    assert f"#{wuxi_flag.id}<" in page and f"#{xining_flag.id}<" not in page
    assert "张三" in page and "就业创业服务补助" in page and "800.00" in page
    assert "收入无考勤" in page  # the risk signal, by its name
    assert "共 1 条" in page


def test_an_admin_sees_every_city_and_filters_by_one(client, admin, flagged):
    wuxi_flag, xining_flag = flagged
    sign_in(client, admin)
    page = client.get(QUEUE).get_data(as_text=True)
    assert f"#{wuxi_flag.id}<" in page and f"#{xining_flag.id}<" in page
    only_xining = client.get(QUEUE, query_string={"city": "xining"}).get_data(as_text=True)
    assert f"#{wuxi_flag.id}<" not in only_xining and f"#{xining_flag.id}<" in only_xining


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"program": "social_insurance"}, ["xining"]),
        ({"program": "platform_service"}, ["wuxi"]),
        ({"month": "2026-03"}, ["wuxi"]),
        ({"month": "2026-01"}, ["wuxi", "xining"]),
        ({"month": "2026-08"}, []),
        ({"risk_signal": "no_attendance"}, ["wuxi", "xining"]),
        ({"risk_signal": "single_employer"}, []),
        ({"status": "approved"}, []),
        ({"status": "", "program": "", "month": ""}, ["wuxi", "xining"]),  # "全部" everywhere
    ],
)
def test_the_queue_filters(client, admin, flagged, query, shown):
    ids = {"wuxi": flagged[0].id, "xining": flagged[1].id}
    sign_in(client, admin)
    page = client.get(QUEUE, query_string=query).get_data(as_text=True)
    assert {city for city, flag_id in ids.items() if f"#{flag_id}<" in page} == set(shown)


@pytest.mark.parametrize(
    "query", [{"month": "2026-13"}, {"month": "0001-01"}, {"page": "abc"}, {"city": "beijing"}]
)
def test_a_bad_filter_is_a_clear_error(client, admin, query):
    sign_in(client, admin)
    response = client.get(QUEUE, query_string=query)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "输入有误" in page and next(iter(query)) in page


def test_paging_keeps_the_all_statuses_choice(client, admin, flagged, app, monkeypatch, database):
    monkeypatch.setitem(app.config, "DESK_PAGE_SIZE", 1)
    approved = database.get(SubsidyFlag, flagged[0].id)
    approved.status = "approved"
    database.commit()
    sign_in(client, admin)
    first = client.get(QUEUE, query_string={"status": ""}).get_data(as_text=True)
    assert "共 2 条" in first and "status=&amp;page=2" in first
    second = client.get(QUEUE, query_string={"status": "", "page": 2}).get_data(as_text=True)
    assert "共 2 条" in second


def test_the_queue_pages(client, admin, flagged, app, monkeypatch):
    monkeypatch.setitem(app.config, "DESK_PAGE_SIZE", 1)
    sign_in(client, admin)
    first = client.get(QUEUE).get_data(as_text=True)
    second = client.get(QUEUE, query_string={"page": 2}).get_data(as_text=True)
    assert f"#{flagged[0].id}<" in first and f"#{flagged[1].id}<" not in first
    assert f"#{flagged[1].id}<" in second and "第 2 / 2 页" in second
    assert 'rel="next"' in first and 'rel="prev"' in second
    beyond = client.get(QUEUE, query_string={"page": 9}).get_data(as_text=True)
    assert "第 2 / 2 页" in beyond  # past the end: the last page


# --- a flag's page and decisions --------------------------------------------------------------


def test_a_flags_page_shows_the_worker_masked_the_months_explanation_and_risks(
    client, wuxi_official, flagged, database
):
    flag = flagged[0]
    sign_in(client, wuxi_official)
    page = client.get(f"/desk/flags/{flag.id}").get_data(as_text=True)
    assert "张三" in page and "********" in page
    assert all(f"<td>{month}" in page for month in ("2025-07", "2026-01", "2026-06"))
    assert page.count("（计入）") == 6  # the six months of the period are marked
    assert "2700.00" in page and "失业人员" in page
    assert "群体日期补录" in page and "group_entered_late" not in page  # the name, not the code
    assert 'value="approve"' in page and 'value="reject"' in page
    full_number = id_cipher().decrypt(flag_worker(database, flag).id_number_ciphertext)
    assert full_number not in page  # only the masked number is shown


def test_a_flags_page_lists_the_workers_bookings_telling_offers_from_their_own(
    client, wuxi_official, flagged, database, make_job
):
    """An official sees which work the worker chose, and which was only offered to them."""
    from marketplace.auth.models import User
    from marketplace.bookings import offers
    from marketplace.bookings import services as bookings
    from marketplace.employers.models import Employer

    flag = flagged[0]
    worker = flag_worker(database, flag)
    offered_job, own_job = make_job(title="仓库分拣"), make_job(title="商场保洁")
    employer = database.get(Employer, offered_job.employer_id)
    offers.offer(database.get(User, employer.user_id), worker, offered_job.shifts[0])
    bookings.book(database.get(User, worker.user_id), own_job.shifts[0].id)
    database.commit()
    sign_in(client, wuxi_official)
    page = client.get(f"/desk/flags/{flag.id}").get_data(as_text=True)
    assert "近期班次" in page and "仓库分拣" in page and "商场保洁" in page
    assert "待确认邀约" in page and "用工方邀约" in page and "前答复" in page
    assert "已确认" in page and "本人报名" in page


def test_another_citys_flag_is_not_found(client, xining_official, flagged):
    sign_in(client, xining_official)
    response = client.get(f"/desk/flags/{flagged[0].id}")
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True)


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(
    client, wuxi_official, flagged, database
):
    flag = flagged[0]
    sign_in(client, wuxi_official)
    url = f"/desk/flags/{flag.id}"
    response = post_form(client, url, f"{url}/decision", decision="reject", reason="   ")
    assert response.status_code == 422
    assert "驳回必须填写理由" in response.get_data(as_text=True)
    assert status_of(database, flag.id) == "pending"


def test_an_approval_with_a_reason_is_recorded_and_leaves_the_queue(
    client, wuxi_official, flagged, database
):
    flag = flagged[0]
    sign_in(client, wuxi_official)
    url = f"/desk/flags/{flag.id}"
    response = post_form(
        client, url, f"{url}/decision", decision="approve", reason="材料齐全", back="/desk/"
    )
    assert response.status_code == 303 and response.headers["Location"] == "/desk/"
    queue = client.get(QUEUE).get_data(as_text=True)
    assert f"标记 #{flag.id} 已批准" in queue and "共 0 条" in queue
    database.expire_all()
    decided = database.get(SubsidyFlag, flag.id)
    assert (decided.status, decided.decision_reason) == ("approved", "材料齐全")
    assert decided.decided_by == wuxi_official.id
    assert database.scalar(select(AuditEvent).where(AuditEvent.action == "flag.approved"))


def test_a_rejection_with_a_reason(client, wuxi_official, flagged, database):
    flag = flagged[0]
    sign_in(client, wuxi_official)
    url = f"/desk/flags/{flag.id}"
    post_form(client, url, f"{url}/decision", decision="reject", reason="收入无考勤记录")
    assert status_of(database, flag.id) == "rejected"
    page = client.get(url).get_data(as_text=True)
    assert "收入无考勤记录" in page and 'value="approve"' not in page
    assert "此标记已驳回。" in page and "已已" not in page  # the typo of v1


def test_a_decision_without_the_csrf_token_is_refused(client, wuxi_official, flagged, database):
    flag = flagged[0]
    sign_in(client, wuxi_official)
    response = client.post(f"/desk/flags/{flag.id}/decision", data={"decision": "approve"})
    assert response.status_code == 400
    assert status_of(database, flag.id) == "pending"


def test_an_admin_sees_a_flag_but_may_not_decide(client, admin, flagged, database):
    flag = flagged[0]
    sign_in(client, admin)
    url = f"/desk/flags/{flag.id}"
    page = client.get(url).get_data(as_text=True)
    assert "不能审核" in page and 'value="approve"' not in page
    response = post_form(client, url, f"{url}/decision", decision="approve")
    assert response.status_code == 403
    assert status_of(database, flag.id) == "pending"


def test_a_flag_decided_twice_is_a_conflict(client, wuxi_official, flagged, database):
    flag = flagged[0]
    sign_in(client, wuxi_official)
    url = f"/desk/flags/{flag.id}"
    token = csrf_of(client.get(url).get_data(as_text=True))
    decide = {"csrf_token": token, "decision": "approve"}
    assert client.post(f"{url}/decision", data=decide).status_code == 303
    again = client.post(f"{url}/decision", data={**decide, "decision": "reject", "reason": "x"})
    assert again.status_code == 409
    assert status_of(database, flag.id) == "approved"


# --- statistics and downloads -----------------------------------------------------------------


def test_the_statistics_page_draws_the_months_and_breakdowns(client, wuxi_official, flagged):
    sign_in(client, wuxi_official)
    response = client.get("/desk/stats", query_string={"month": "2026-06"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "无锡市 · 2026-06" in page
    assert page.count("<svg") == 4
    # 12 columns in each of the two trend charts, one bar per group and per district.
    assert page.count("<rect") == 12 + 12 + 6 + 1
    assert "2700.00" in page and "失业人员" in page and "梁溪区" in page
    assert "有职业伤害保障的工时" in page and "无职业伤害保障的工时" in page


def test_the_statistics_page_defaults_to_the_last_whole_month(client, wuxi_official):
    sign_in(client, wuxi_official)
    page = client.get("/desk/stats").get_data(as_text=True)
    assert "2026-06" in page  # the clock stands on 2 July 2026


def test_a_month_out_of_range_is_refused_not_a_server_error(client, wuxi_official):
    sign_in(client, wuxi_official)
    assert client.get("/desk/stats", query_string={"month": "0001-01"}).status_code == 422


def test_an_official_may_not_see_another_citys_statistics(client, wuxi_official):
    sign_in(client, wuxi_official)
    response = client.get("/desk/stats", query_string={"city": "xining"})
    assert response.status_code == 403


def test_the_workers_download(client, wuxi_official, flagged):
    sign_in(client, wuxi_official)
    response = client.get("/desk/exports/workers.csv", query_string={"month": "2026-03"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:2] == ["劳动者编号", "姓名"] and len(rows) == 2
    assert rows[1][1] == "张三" and rows[1][5] == "2700.00"


def test_the_flags_download_keeps_the_queues_filters(client, admin, flagged):
    sign_in(client, admin)
    response = client.get("/desk/exports/flags.csv", query_string={"program": "social_insurance"})
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [int(row[0]) for row in rows[1:]] == [flagged[1].id]
    excel = client.get("/desk/exports/flags.xlsx")
    assert excel.status_code == 200 and excel.mimetype.endswith("spreadsheetml.sheet")


def desk_downloads(database) -> list[AuditEvent]:
    database.expire_all()
    return list(
        database.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "export.downloaded")
            .order_by(AuditEvent.seq)
        )
    )


def test_each_desk_download_is_an_audit_event_like_the_apis(
    client, wuxi_official, flagged, database
):
    sign_in(client, wuxi_official)
    flags = client.get("/desk/exports/flags.csv", query_string={"status": "", "month": "2026-03"})
    workers = client.get("/desk/exports/workers.xlsx", query_string={"month": "2026-03"})
    assert flags.status_code == workers.status_code == 200
    assert flags.headers["Cache-Control"] == workers.headers["Cache-Control"] == "no-store"
    first, second = desk_downloads(database)
    assert (first.actor_id, first.city, first.entity_id) == (
        wuxi_official.id,
        "wuxi",
        "subsidy_flags",
    )
    # "全部" (an empty status) is no filter: only the month was given.
    assert first.data == {
        "export": "subsidy_flags",
        "format": "csv",
        "filters": {"month": "2026-03"},
        "rows": 1,
    }
    assert (second.actor_id, second.city, second.entity_id) == (
        wuxi_official.id,
        "wuxi",
        "active_workers",
    )
    assert second.data == {
        "export": "active_workers",
        "format": "xlsx",
        "filters": {"city": "wuxi", "month": "2026-03"},
        "rows": 1,
    }


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/desk/exports/workers.csv", {"city": "xining"}, 403),
        ("/desk/exports/workers.csv", {"month": "2026-13"}, 422),
        ("/desk/exports/flags.csv", {"city": "xining"}, 403),
        ("/desk/exports/flags.xlsx", {"risk_signal": "nonsense"}, 422),
    ],
)
def test_a_refused_desk_download_leaves_no_audit_event(
    client, wuxi_official, flagged, database, path, query, status
):
    sign_in(client, wuxi_official)
    assert client.get(path, query_string=query).status_code == status
    assert desk_downloads(database) == []


def test_downloads_need_a_desk_session(client, flagged):
    assert client.get("/desk/exports/flags.csv").status_code == 302


def test_a_decision_on_the_desk_is_the_one_the_api_shows(
    client, wuxi_official, flagged, auth_headers
):
    sign_in(client, wuxi_official)
    url = f"/desk/flags/{flagged[0].id}"
    post_form(client, url, f"{url}/decision", decision="approve", reason="核对无误")
    shown = client.get("/api/v1/subsidies/flags", headers=auth_headers(wuxi_official))
    [flag] = shown.get_json()
    assert (flag["id"], flag["status"], flag["decision_reason"]) == (
        flagged[0].id,
        "approved",
        "核对无误",
    )


def test_a_decision_that_is_neither_approve_nor_reject_is_refused_in_chinese(
    client, wuxi_official, flagged, database
):
    sign_in(client, wuxi_official)
    url = f"/desk/flags/{flagged[0].id}"
    response = post_form(client, url, f"{url}/decision", decision="maybe")
    assert response.status_code == 422
    assert "请选择“批准”或“驳回”" in response.get_data(as_text=True)
    assert status_of(database, flagged[0].id) == "pending"


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [("/desk/nowhere", "get", 404), ("/desk/flags/0", "get", 404), ("/desk/logout", "get", 405)],
)
def test_errors_under_the_desk_are_pages_and_the_apis_stay_json(
    client, wuxi_official, path, method, status
):
    sign_in(client, wuxi_official)
    response = getattr(client, method)(path)
    assert response.status_code == status and response.mimetype == "text/html"
    assert "返回待审核标记" in response.get_data(as_text=True)
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404 and api.mimetype == "application/json"


# --- charts -----------------------------------------------------------------------------------


def test_the_tallest_column_reaches_the_top_and_zero_has_no_height():
    chart = charts.columns("收入", [("01", Decimal("50")), ("02", Decimal("200")), ("03", 0)])
    low, high, zero = chart.bars
    assert high.height == charts.COLUMN_BASELINE - charts.COLUMN_TOP
    assert low.height == pytest.approx(high.height / 4)
    assert zero.height == 0 and zero.y == charts.COLUMN_BASELINE
    assert high.value == "200.00" and not chart.empty


def test_bars_scale_to_the_widest_and_an_all_zero_chart_says_so():
    chart = charts.bars("人数", [("梁溪区", Decimal(3)), ("新吴区", Decimal(1))])
    assert chart.bars[0].width == charts.BAR_WIDTH - charts.BAR_LABEL - charts.BAR_VALUE
    assert chart.bars[1].width == pytest.approx(chart.bars[0].width / 3)
    assert charts.bars("人数", [("梁溪区", Decimal(0))]).empty
    assert charts.columns("收入", []).empty
