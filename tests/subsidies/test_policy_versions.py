"""Living policies (API.md v1.1): drafts uploaded, versions listed and served, publication.

An admin uploads a policy file's text as a draft; an official of the city publishes it; only the
published version raises flags; the next evaluation moves pending flags to it and never touches
a decided one.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.models import PolicyVersion
from marketplace.subsidies.policy.catalogue import POLICY_DIR
from tests.subsidies.conftest import (
    FIRST_HALF,
    add_employment_registration,
    add_income,
    add_premium,
    flags_of,
)

POLICIES = "/api/v1/subsidies/policies"
JULY_1 = date(2026, 7, 1)
WUXI = "wuxi-2021-26"
WUXI_TEXT = (POLICY_DIR / f"{WUXI}.toml").read_text(encoding="utf-8")
XINING_TEXT = (POLICY_DIR / "xining-2021-33.toml").read_text(encoding="utf-8")
# 无锡's 800 yuan of article 二, and a later value as a new notice would set it.
EIGHT_HUNDRED = '{ from = 2021-05-31, value = "800.00", article = "二：失业人员……按800元/人" },'
NINE_HUNDRED = (
    EIGHT_HUNDRED
    + '\n    { from = 2026-01-01, value = "900.00", article = "二；新通知：按900元/人" },'
)


def changed(text: str, old: str, new: str) -> str:
    assert old in text, old  # the test must really change the file
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The line (1-based) of the first line of ``text`` holding ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def successor_of_xining() -> str:
    """西宁's policy renewed from 2026-05-08: the successor 宁政办〔2021〕33号 never had."""
    text = changed(XINING_TEXT, 'id = "xining-2021-33"', 'id = "xining-2026-9"')
    text = changed(text, "effective_to = 2026-05-07\n", "")
    text = changed(
        text, 'document_number = "宁政办〔2021〕33号"', 'document_number = "宁政办〔2026〕9号"'
    )
    return text.replace("2021-05-08", "2026-05-08")


@pytest.fixture
def upload(client, auth_headers, admin):
    """``upload(text)``: the admin's POST of a policy file (or ``as_user``, another type)."""

    def post(text: str | bytes, as_user: Any = None, content_type: str = "application/toml") -> Any:
        body = text.encode("utf-8") if isinstance(text, str) else text
        headers = {**auth_headers(as_user or admin), "Content-Type": content_type}
        return client.post(POLICIES, data=body, headers=headers)

    return post


def publish(client, auth_headers, user, policy_id: str, version: int) -> Any:
    path = f"{POLICIES}/{policy_id}/versions/{version}/publish"
    return client.post(path, headers=auth_headers(user))


def events(database, action: str) -> list[AuditEvent]:
    return list(
        database.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by("seq"))
    )


# --- the files of the code are version 1 -------------------------------------------------------


def test_the_code_files_are_version_1_published(client, auth_headers, admin):
    response = client.get(f"{POLICIES}/{WUXI}/versions", headers=auth_headers(admin))
    assert response.status_code == 200
    [first] = response.get_json()
    assert (first["version"], first["status"], first["created_by"]) == (1, "published", None)
    assert first["sha256"] == hashlib.sha256((POLICY_DIR / f"{WUXI}.toml").read_bytes()).hexdigest()
    assert first["published_at"] and first["created_at"]
    listed = {policy["id"]: policy for policy in client.get(POLICIES).get_json()}
    assert (listed[WUXI]["version"], listed[WUXI]["status"]) == (1, "published")


def test_version_1_s_file_is_the_code_s_file_byte_for_byte(client, auth_headers, wuxi_official):
    response = client.get(f"{POLICIES}/{WUXI}/versions/1/file", headers=auth_headers(wuxi_official))
    assert response.status_code == 200
    assert response.mimetype == "application/toml"
    assert response.data == (POLICY_DIR / f"{WUXI}.toml").read_bytes()


# --- drafts -----------------------------------------------------------------------------------


def test_an_admin_uploads_a_new_version_as_a_draft_with_its_hash_audited(upload, database):
    text = changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)
    response = upload(text)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["id"], body["version"], body["status"]) == (WUXI, 2, "draft")
    assert body["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert body["published_at"] is None and body["city"] == "wuxi"
    amounts = body["programs"][0]["parameters"]["amount_unemployed"]["values"]
    assert [value["value"] for value in amounts] == ["800.00", "900.00"]
    [drafted] = events(database, "policy.drafted")
    assert (drafted.entity, drafted.entity_id, drafted.city) == ("policy", WUXI, "wuxi")
    assert drafted.data["sha256"] == body["sha256"] and drafted.data["version"] == 2


def test_a_new_policy_of_a_known_city_is_its_version_1(upload):
    response = upload(successor_of_xining())
    assert response.status_code == 201
    body = response.get_json()
    assert (body["id"], body["version"], body["status"], body["city"]) == (
        "xining-2026-9",
        1,
        "draft",
        "xining",
    )


@pytest.mark.parametrize("role", ["worker", "employer", "broker", "official"])
def test_only_admins_upload_drafts(upload, make_user, role, database):
    city = "wuxi" if role == "official" else None
    assert upload(WUXI_TEXT, as_user=make_user(role, city=city)).status_code == 403
    assert events(database, "policy.drafted") == []


def test_an_upload_needs_a_token(client):
    response = client.post(
        POLICIES, data=WUXI_TEXT.encode(), headers={"Content-Type": "application/toml"}
    )
    assert response.status_code == 401


def test_a_policy_file_sent_as_json_is_415(upload):
    response = upload(WUXI_TEXT, content_type="application/json")
    assert response.status_code == 415
    assert "application/toml" in response.get_json()["message"]


def test_a_toml_syntax_error_names_its_line_and_column(upload, database):
    text = changed(WUXI_TEXT, 'title = "无锡', "title = 无锡")
    response = upload(text)
    assert response.status_code == 422
    body = response.get_json()
    [problem] = body["errors"]["toml"]
    assert problem["line"] == line_of(text, "title = 无锡") and problem["column"] == 9
    assert f"on line {problem['line']}" in body["message"]
    assert database.scalar(select(PolicyVersion).where(PolicyVersion.version == 2)) is None


def test_every_problem_is_listed_with_the_line_of_its_key(upload):
    text = changed(WUXI_TEXT, '"800.00", article', '"800", article')
    text = changed(text, 'article = "六"\n', "")  # the training programme's article
    text = changed(
        text,
        "[programs.platform_service.parameters.stable_months]",
        '[programs.platform_service.parameters.bonus]\nunit = "CNY"\nvalues = []\n\n'
        "[programs.platform_service.parameters.stable_months]",
    )
    response = upload(text)
    assert response.status_code == 422
    problems = {problem["key"]: problem for problem in response.get_json()["errors"]["toml"]}
    amount = "programs.platform_service.parameters.amount_unemployed.values[0].value"
    assert problems[amount]["line"] == line_of(text, '"800", article')
    assert "two decimals" in problems[amount]["message"]
    bonus = "programs.platform_service.parameters.bonus"
    assert problems[bonus]["line"] == line_of(text, "parameters.bonus]")
    assert problems["programs.training"]["line"] == line_of(text, "[programs.training]")
    assert problems["programs.training"]["message"] == "missing article"
    lines = [problem["line"] for problem in response.get_json()["errors"]["toml"]]
    assert lines == sorted(lines)


def test_a_new_policy_of_an_unknown_city_is_refused_on_the_city_line(upload):
    text = changed(successor_of_xining(), 'city = "xining"', 'city = "suzhou"')
    response = upload(text)
    assert response.status_code == 422
    [problem] = response.get_json()["errors"]["toml"]
    assert problem["key"] == "city" and problem["line"] == line_of(text, 'city = "suzhou"')


def test_a_new_version_keeps_its_policy_s_city(upload):
    text = changed(WUXI_TEXT, 'city = "wuxi"', 'city = "xining"')
    response = upload(text)
    assert response.status_code == 422
    [problem] = response.get_json()["errors"]["toml"]
    assert problem["line"] == line_of(text, 'city = "xining"')
    assert "keeps its city" in problem["message"]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (b'id = "x"\ntitle = "\xff"\n', 2),  # not UTF-8
        ('id = "x"\n# 金额 \u202e00.008\n'.encode(), 2),  # a bidirectional override
        (b"a = " + b"[" * 5000 + b"]" * 5000, 1),  # nested deeper than the parser goes
        (b"n = " + b"9" * 5000, 1),  # an integer Python refuses to read
        (b"", 1),  # nothing at all: every key is missing
    ],
)
def test_hostile_files_are_422_with_a_line(upload, body: bytes, line: int):
    response = upload(body)
    assert response.status_code == 422
    assert response.get_json()["errors"]["toml"][0]["line"] == line


def test_an_upload_with_an_idempotency_key_is_stored_once(client, auth_headers, admin, database):
    headers = {
        **auth_headers(admin),
        "Content-Type": "application/toml",
        "Idempotency-Key": "policy-upload-1",
    }
    first = client.post(POLICIES, data=WUXI_TEXT.encode(), headers=headers)
    again = client.post(POLICIES, data=WUXI_TEXT.encode(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(events(database, "policy.drafted")) == 1


# --- listing and files ------------------------------------------------------------------------


def test_a_draft_s_file_comes_back_byte_for_byte(upload, client, auth_headers, wuxi_official):
    # Windows line ends, a trailing space and a comment: nothing is normalised.
    text = changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED).replace("\n", "\r\n") + "# 末尾 \r\n"
    assert upload(text).status_code == 201
    response = client.get(f"{POLICIES}/{WUXI}/versions/2/file", headers=auth_headers(wuxi_official))
    assert response.data == text.encode("utf-8")
    listed = client.get(f"{POLICIES}/{WUXI}/versions", headers=auth_headers(wuxi_official))
    assert [(v["version"], v["status"]) for v in listed.get_json()] == [
        (1, "published"),
        (2, "draft"),
    ]
    assert listed.get_json()[1]["sha256"] == hashlib.sha256(response.data).hexdigest()


@pytest.mark.parametrize("suffix", ["", "/1/file"])
def test_another_city_s_official_finds_no_policy(client, auth_headers, xining_official, suffix):
    response = client.get(
        f"{POLICIES}/{WUXI}/versions{suffix}", headers=auth_headers(xining_official)
    )
    assert response.status_code == 404


@pytest.mark.parametrize("suffix", ["", "/1/file"])
@pytest.mark.parametrize("role", ["worker", "employer", "broker"])
def test_versions_are_for_officials_and_admins(client, auth_headers, make_user, role, suffix):
    response = client.get(
        f"{POLICIES}/{WUXI}/versions{suffix}", headers=auth_headers(make_user(role))
    )
    assert response.status_code == 403


def test_an_unknown_policy_or_version_is_404(client, auth_headers, admin):
    headers = auth_headers(admin)
    assert client.get(f"{POLICIES}/no-such-policy/versions", headers=headers).status_code == 404
    assert client.get(f"{POLICIES}/{WUXI}/versions/9/file", headers=headers).status_code == 404


# --- publication ------------------------------------------------------------------------------


def test_an_official_of_the_city_publishes_and_the_old_version_is_superseded(
    upload, client, auth_headers, wuxi_official, database
):
    text = changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)
    assert upload(text).status_code == 201
    response = publish(client, auth_headers, wuxi_official, WUXI, 2)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["version"], body["status"]) == (2, "published")
    assert body["published_at"] is not None
    listed = client.get(f"{POLICIES}/{WUXI}/versions", headers=auth_headers(wuxi_official))
    assert [(v["version"], v["status"]) for v in listed.get_json()] == [
        (1, "superseded"),
        (2, "published"),
    ]
    assert listed.get_json()[0]["superseded_at"] is not None
    published = events(database, "policy.published")[-1]
    assert published.actor_id == wuxi_official.id and published.city == "wuxi"
    assert published.data["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert published.data["version"] == 2 and published.data["supersedes"]["version"] == 1
    [superseded] = events(database, "policy.superseded")
    assert superseded.data == {
        "version": 1,
        "sha256": listed.get_json()[0]["sha256"],
        "by_version": 2,
    }
    [listed_wuxi] = [p for p in client.get(POLICIES).get_json() if p["id"] == WUXI]
    assert listed_wuxi["version"] == 2


def test_an_admin_drafts_but_never_publishes(upload, client, auth_headers, admin, database):
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201
    response = publish(client, auth_headers, admin, WUXI, 2)
    assert response.status_code == 403
    assert "admins" in response.get_json()["message"]
    assert (
        database.scalar(select(PolicyVersion.status).where(PolicyVersion.version == 2)) == "draft"
    )


@pytest.mark.parametrize("role", ["worker", "employer", "broker"])
def test_other_roles_may_not_publish(upload, client, auth_headers, make_user, role):
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201
    assert publish(client, auth_headers, make_user(role), WUXI, 2).status_code == 403


def test_another_city_s_official_cannot_find_the_policy_to_publish(
    upload, client, auth_headers, xining_official
):
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201
    assert publish(client, auth_headers, xining_official, WUXI, 2).status_code == 404


def test_publishing_an_unknown_version_is_404(client, auth_headers, wuxi_official):
    assert publish(client, auth_headers, wuxi_official, WUXI, 7).status_code == 404
    assert publish(client, auth_headers, wuxi_official, "no-such", 1).status_code == 404


def test_a_published_or_superseded_version_is_not_published_again(
    upload, client, auth_headers, wuxi_official
):
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201
    assert publish(client, auth_headers, wuxi_official, WUXI, 2).status_code == 200
    again = publish(client, auth_headers, wuxi_official, WUXI, 2)
    assert again.status_code == 409 and "already published" in again.get_json()["message"]
    old = publish(client, auth_headers, wuxi_official, WUXI, 1)
    assert old.status_code == 409 and "superseded" in old.get_json()["message"]


def test_a_draft_older_than_the_published_version_is_not_published(
    upload, client, auth_headers, wuxi_official
):
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201  # 2
    assert upload(WUXI_TEXT).status_code == 201  # 3
    assert publish(client, auth_headers, wuxi_official, WUXI, 3).status_code == 200
    response = publish(client, auth_headers, wuxi_official, WUXI, 2)
    assert response.status_code == 409 and "older" in response.get_json()["message"]


# --- what the versions do to flags ------------------------------------------------------------


def test_a_draft_never_raises_or_changes_flags(upload, person, database):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201
    evaluator.evaluate("wuxi", JULY_1)
    [flag] = flags_of(database, worker.id)
    assert (flag.amount, flag.policy_version) == (Decimal("800.00"), 1)


def test_publishing_a_new_amount_moves_pending_flags_and_never_decided_ones(
    upload, client, auth_headers, person, wuxi_official, database
):
    decided = person(unemployment_registered_on=date(2025, 12, 10))
    pending = person(unemployment_registered_on=date(2025, 12, 10))
    for worker in (decided, pending):
        add_income(database, worker.id, FIRST_HALF, "2700.00")
    evaluator.evaluate("wuxi", JULY_1)
    database.commit()
    [approved] = flags_of(database, decided.id)
    decision = client.post(
        f"/api/v1/subsidies/flags/{approved.id}/decision",
        json={"decision": "approve", "reason": None},
        headers=auth_headers(wuxi_official),
    )
    assert decision.status_code == 200

    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201
    assert publish(client, auth_headers, wuxi_official, WUXI, 2).status_code == 200
    [waiting] = flags_of(database, pending.id)
    # Until the next evaluation the pending flag says 800.00: approving it is refused, with
    # what the published version proposes now.
    refused = client.post(
        f"/api/v1/subsidies/flags/{waiting.id}/decision",
        json={"decision": "approve", "reason": None},
        headers=auth_headers(wuxi_official),
    )
    assert refused.status_code == 409
    assert refused.get_json()["errors"]["proposed_now"]["amount"] == "900.00"

    outcome = evaluator.evaluate("wuxi", JULY_1)

    assert outcome.updated == 1 and outcome.created == 0
    [followed] = flags_of(database, pending.id)
    assert (followed.status, followed.amount, followed.policy_version) == (
        "pending",
        Decimal("900.00"),
        2,
    )
    assert any("900.00" in line for line in followed.explanation)
    [kept] = flags_of(database, decided.id)
    assert (kept.status, kept.amount, kept.policy_version) == ("approved", Decimal("800.00"), 1)
    assert kept.fingerprint == approved.fingerprint
    [updated] = [e for e in events(database, "flag.updated") if e.entity_id == str(followed.id)]
    assert updated.data["changes"]["amount"] == {"from": "800.00", "to": "900.00"}
    assert updated.data["changes"]["policy_version"] == {"from": 1, "to": 2}
    assert updated.data["policy_version"] == 2
    assert not [e for e in events(database, "flag.updated") if e.entity_id == str(kept.id)]
    # The flag as the API shows it names the version it now rests on.
    shown = client.get(
        "/api/v1/subsidies/flags",
        query_string={"worker_id": pending.id},
        headers=auth_headers(wuxi_official),
    ).get_json()
    assert [(f["amount"], f["policy_version"]) for f in shown] == [("900.00", 2)]
    # Evaluating again changes nothing more.
    assert evaluator.evaluate("wuxi", JULY_1).updated == 0


def test_a_successor_policy_published_raises_flags_again_in_xining(
    upload, client, auth_headers, person, xining_official, database
):
    """The issue's case: 宁政办〔2021〕33号 ran out on 2026-05-07; its successor is data."""
    worker = person(
        city="xining",
        unemployment_registered_on=date(2025, 12, 10),
        difficulty_certified_on=date(2025, 12, 20),
    )
    add_income(database, worker.id, FIRST_HALF, "2000.00")
    add_employment_registration(database, worker.id, date(2026, 1, 1))
    add_premium(database, worker.id, "2026-06", "600.00", "240.00")

    evaluator.evaluate("xining", JULY_1)
    assert flags_of(database, worker.id) == []  # 2026-06 counts for no policy in force
    assert upload(successor_of_xining()).status_code == 201
    evaluator.evaluate("xining", JULY_1)
    assert flags_of(database, worker.id) == []  # a draft raises nothing

    assert publish(client, auth_headers, xining_official, "xining-2026-9", 1).status_code == 200
    evaluator.evaluate("xining", JULY_1)

    [flag] = flags_of(database, worker.id)
    assert (flag.policy_id, flag.key, flag.amount, flag.policy_version) == (
        "xining-2026-9",
        "2026-06",
        Decimal("560.00"),
        1,
    )
    assert "宁政办〔2026〕9号" in flag.explanation[0]
