"""The desk's group statuses: the queue of declarations to check, a worker's page and its forms."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.workers.models import EmploymentRegistration, GroupStatus
from tests.desk.conftest import post_form, sign_in
from tests.subsidies.conftest import add_employment_registration


def status_of(database, worker_id, group="unemployed") -> GroupStatus:
    database.expire_all()
    return database.scalar(
        select(GroupStatus).where(GroupStatus.worker_id == worker_id, GroupStatus.group == group)
    )


def test_the_queue_lists_the_citys_declared_statuses_only(client, wuxi_official, person):
    mine = person(unemployment_registered_on=date(2025, 12, 10), verified=False)
    checked = person(unemployment_registered_on=date(2025, 11, 10))  # verified
    elsewhere = person(city="xining", unemployment_registered_on=date(2025, 12, 1), verified=False)
    sign_in(client, wuxi_official)
    page = client.get("/desk/statuses").get_data(as_text=True)
    assert f"/desk/workers/{mine.id}" in page
    assert f"/desk/workers/{checked.id}" not in page
    assert f"/desk/workers/{elsewhere.id}" not in page


def test_an_official_verifies_rejects_and_ends_from_the_workers_page(
    client, wuxi_official, person, database
):
    worker = person(
        unemployment_registered_on=date(2025, 12, 10),
        difficulty_certified_on=date(2025, 12, 20),
        verified=False,
    )
    sign_in(client, wuxi_official)
    url = f"/desk/workers/{worker.id}"
    unemployed, difficulty = (
        status_of(database, worker.id),
        status_of(database, worker.id, "difficulty"),
    )

    verified = post_form(
        client,
        url,
        f"{url}/statuses/{unemployed.id}/verify",
        started_on="2025-12-08",
        reference="J-001",
    )
    assert verified.status_code == 303
    assert "失业登记状态已核验" in client.get(verified.headers["Location"]).get_data(as_text=True)
    checked = status_of(database, worker.id)
    assert (checked.status, str(checked.started_on), checked.reference) == (
        "verified",
        "2025-12-08",
        "J-001",
    )

    refused = post_form(client, url, f"{url}/statuses/{difficulty.id}/reject")
    assert refused.status_code == 422 and "驳回须填写理由" in refused.get_data(as_text=True)
    assert status_of(database, worker.id, "difficulty").status == "declared"
    post_form(client, url, f"{url}/statuses/{difficulty.id}/reject", reason="无认定记录")
    assert status_of(database, worker.id, "difficulty").status == "rejected"

    post_form(client, url, f"{url}/statuses/{unemployed.id}/end", ended_on="2026-06-30")
    assert str(status_of(database, worker.id).ended_on) == "2026-06-30"


def test_an_official_revokes_a_registration_with_a_reason(
    client, xining_official, person, database
):
    worker = person(city="xining", unemployment_registered_on=date(2025, 12, 10))
    add_employment_registration(database, worker.id, date(2026, 1, 1))
    registration = database.scalar(
        select(EmploymentRegistration).where(EmploymentRegistration.worker_id == worker.id)
    )
    sign_in(client, xining_official)
    url = f"/desk/workers/{worker.id}"
    assert "灵活就业" in client.get(url).get_data(as_text=True)
    refused = post_form(client, url, f"{url}/registrations/{registration.id}/revoke")
    assert refused.status_code == 422
    post_form(client, url, f"{url}/registrations/{registration.id}/revoke", reason="核查不实")
    database.expire_all()
    assert database.get(EmploymentRegistration, registration.id).status == "revoked"


def test_an_admin_reads_the_page_without_forms_and_another_city_finds_nothing(
    client, admin, xining_official, person
):
    worker = person(unemployment_registered_on=date(2025, 12, 10), verified=False)
    sign_in(client, admin)
    page = client.get(f"/desk/workers/{worker.id}").get_data(as_text=True)
    assert "本人申报" in page and "/verify" not in page
    other = client.application.test_client()
    sign_in(other, xining_official)
    assert other.get(f"/desk/workers/{worker.id}").status_code == 404
