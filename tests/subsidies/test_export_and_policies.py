"""The flag export (CSV and Excel, Chinese headers, masked IDs) and the policies as data."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.export import HEADERS
from marketplace.subsidies.models import PolicyVersion
from marketplace.subsidies.policy import versions
from marketplace.subsidies.policy.catalogue import POLICY_DIR
from tests.subsidies.conftest import FIRST_HALF, add_income

EXPORT = "/api/v1/subsidies/flags/export"
POLICIES = "/api/v1/subsidies/policies"


@pytest.fixture
def flagged(person, database):
    wuxi = person(name="王小红", unemployment_registered_on=date(2025, 12, 10))
    add_income(database, wuxi.id, FIRST_HALF, "2700.00")
    xining = person(city="xining", unemployment_registered_on=date(2025, 12, 10))
    add_income(database, xining.id, FIRST_HALF, "2700.00")
    evaluator.evaluate("wuxi", date(2026, 7, 1))
    database.commit()
    return wuxi, xining


def test_a_csv_export_has_chinese_headers_and_masked_id_numbers(
    client, auth_headers, wuxi_official, flagged
):
    wuxi, _ = flagged
    response = client.get(
        EXPORT, query_string={"format": "csv"}, headers=auth_headers(wuxi_official)
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="subsidy-flags-wuxi-2026-07-02.csv"'
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == HEADERS and "身份证号码（脱敏）" in rows[0]
    [row] = rows[1:]
    record = dict(zip(rows[0], row, strict=True))
    assert record["姓名"] == "王小红"
    assert record["身份证号码（脱敏）"] == wuxi.id_number[:4] + "*" * 12 + wuxi.id_number[-2:]
    assert wuxi.id_number not in response.data.decode("utf-8-sig")
    assert (record["补贴项目"], record["金额（元）"], record["状态"]) == (
        "就业创业服务补助",
        "800.00",
        "待审核",
    )
    assert (record["城市"], record["起始月份"], record["截止月份"]) == (
        "无锡市",
        "2026-01",
        "2026-06",
    )
    assert record["风险提示"].startswith("no_attendance:")


def test_an_xlsx_export_parses_back(client, auth_headers, admin, flagged):
    wuxi, _ = flagged
    response = client.get(EXPORT, query_string={"format": "xlsx"}, headers=auth_headers(admin))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"].endswith('subsidy-flags-all-2026-07-02.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    [row] = rows[1:]
    record = dict(zip(HEADERS, row, strict=True))
    assert record["身份证号码（脱敏）"] == wuxi.id_number[:4] + "*" * 12 + wuxi.id_number[-2:]
    assert record["金额（元）"] == 800 and record["受益方"] == "平台企业"


def test_the_export_takes_the_filters_and_the_officials_city(
    client, auth_headers, admin, xining_official, flagged
):
    empty = client.get(
        EXPORT, query_string={"status": "approved"}, headers=auth_headers(admin)
    ).data.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(empty)))) == 1  # headers only
    theirs = client.get(EXPORT, headers=auth_headers(xining_official)).data.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(theirs)))) == 1  # 无锡's flag is not theirs
    other = client.get(EXPORT, query_string={"city": "wuxi"}, headers=auth_headers(xining_official))
    assert other.status_code == 403


def test_the_export_is_for_officials_and_admins(client, auth_headers, make_user):
    assert client.get(EXPORT, headers=auth_headers(make_user("worker"))).status_code == 403
    response = client.get(
        EXPORT, query_string={"format": "pdf"}, headers=auth_headers(make_user("admin"))
    )
    assert response.status_code == 422


def downloads(database) -> list[AuditEvent]:
    """The audit events of downloads, oldest first."""
    database.expire_all()
    return list(
        database.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "export.downloaded")
            .order_by(AuditEvent.seq)
        )
    )


def test_each_download_is_an_audit_event_with_its_filters_and_row_count(
    client, auth_headers, wuxi_official, admin, flagged, database
):
    query = {"format": "xlsx", "program": "platform_service", "month": "2026-03"}
    assert (
        client.get(EXPORT, query_string=query, headers=auth_headers(wuxi_official)).status_code
        == 200
    )
    [event] = downloads(database)
    assert (event.action, event.entity, event.entity_id) == (
        "export.downloaded",
        "export",
        "subsidy_flags",
    )
    assert (event.actor_id, event.city) == (wuxi_official.id, "wuxi")
    assert event.data == {
        "export": "subsidy_flags",
        "format": "xlsx",
        "filters": {"program": "platform_service", "month": "2026-03"},
        "rows": 1,
    }
    # An admin's download of every city is a platform-wide event, with its own row count.
    client.get(EXPORT, query_string={"status": "approved"}, headers=auth_headers(admin))
    latest = downloads(database)[-1]
    assert (latest.actor_id, latest.city) == (admin.id, None)
    assert latest.data == {
        "export": "subsidy_flags",
        "format": "csv",
        "filters": {"status": "approved"},
        "rows": 0,
    }


@pytest.mark.parametrize(
    ("role", "query", "status"),
    [
        ("xining_official", {"city": "wuxi"}, 403),
        ("admin", {"format": "pdf"}, 422),
        ("admin", {"month": "2026-13"}, 422),
    ],
)
def test_a_refused_download_leaves_no_audit_event(
    request, client, auth_headers, flagged, database, role, query, status
):
    caller = request.getfixturevalue(role)
    assert (
        client.get(EXPORT, query_string=query, headers=auth_headers(caller)).status_code == status
    )
    assert downloads(database) == []


def test_a_download_that_fails_midway_leaves_no_audit_event(
    client, auth_headers, admin, flagged, database, monkeypatch
):
    from marketplace.common import spreadsheets

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(spreadsheets, "download", broken)
    client.application.testing = False  # answer the 500 instead of raising it into the test
    try:
        assert client.get(EXPORT, headers=auth_headers(admin)).status_code == 500
    finally:
        client.application.testing = True
    assert downloads(database) == []


def test_anyone_reads_the_policies_as_data(client):
    response = client.get(POLICIES)
    assert response.status_code == 200
    policies = {policy["id"]: policy for policy in response.get_json()}
    assert set(policies) == {"wuxi-2021-26", "xining-2021-33"}
    wuxi = policies["wuxi-2021-26"]
    assert (wuxi["city"], wuxi["document_number"], wuxi["effective_to"]) == (
        "wuxi",
        "锡政办发〔2021〕26号",
        None,
    )
    assert policies["xining-2021-33"]["effective_to"] == "2026-05-07"
    programs = {program["code"]: program for program in wuxi["programs"]}
    assert programs["platform_service"]["beneficiary"] == "platform"
    amount = programs["platform_service"]["parameters"]["amount_difficulty"]
    assert amount["unit"] == "CNY"
    assert amount["values"][0]["from"] == "2021-05-31"
    assert amount["values"][0]["value"] == "1000.00"
    assert amount["values"][0]["article"].startswith("二")


def test_the_policies_document_says_they_need_no_token(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["paths"][POLICIES]["get"]["security"] == []


def published(database) -> list[AuditEvent]:
    return list(database.scalars(select(AuditEvent).where(AuditEvent.action == "policy.published")))


def test_the_code_files_are_stored_as_version_1_once_with_their_events(client, database):
    database.execute(PolicyVersion.__table__.delete())
    database.execute(AuditEvent.__table__.delete().where(AuditEvent.entity == "policy"))
    database.commit()

    client.get(POLICIES)
    client.get(POLICIES)
    evaluator.evaluate("wuxi", date(2026, 7, 1))

    events = {event.entity_id: event for event in published(database)}
    assert set(events) == {"wuxi-2021-26", "xining-2021-33"}
    assert len(published(database)) == 2
    wuxi = events["wuxi-2021-26"]
    assert wuxi.city == "wuxi" and wuxi.actor_id is None
    content = (POLICY_DIR / "wuxi-2021-26.toml").read_bytes()
    assert wuxi.data["sha256"] == versions.digest(content)
    assert wuxi.data["version"] == 1 and wuxi.data["supersedes"] is None
    assert wuxi.data["file"] == "wuxi-2021-26.toml"
    rows = database.scalars(select(PolicyVersion).order_by(PolicyVersion.policy_id)).all()
    assert [(r.policy_id, r.version, r.status) for r in rows] == [
        ("wuxi-2021-26", 1, "published"),
        ("xining-2021-33", 1, "published"),
    ]
    assert rows[0].content.encode() == content


def test_an_edited_code_file_does_not_change_a_stored_policy(client, database, monkeypatch):
    client.get(POLICIES)
    [(policy, content)] = [pair for pair in versions.code_files() if pair[0].id == "wuxi-2021-26"]
    edited = dataclasses.replace(policy, title="改过的标题")
    others = [pair for pair in versions.code_files() if pair[0].id != "wuxi-2021-26"]
    monkeypatch.setattr(versions, "code_files", lambda: ((edited, content + b"#"), *others))
    assert versions.seed_code_versions() == 0
    [wuxi] = [p for p in client.get(POLICIES).get_json() if p["id"] == "wuxi-2021-26"]
    assert wuxi["title"] == policy.title and wuxi["version"] == 1
