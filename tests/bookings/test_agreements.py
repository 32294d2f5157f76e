"""Agreements (无锡 第七条): every booking the worker says yes to has the agreement they accepted,
made from the job's employment type, fixed at acceptance, readable by both sides and the city."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from marketplace import clock
from marketplace.audit.models import AuditEvent
from marketplace.auth.models import User
from marketplace.bookings.models import Agreement, Booking
from marketplace.brokers import delegations
from marketplace.brokers.models import Broker
from marketplace.cities.catalogue import wall_clock
from marketplace.employers.models import Employer
from tests.conftest import resident_id, shift_times

ASSIGN = "/api/v1/matching/assignments"


def agreement_of(client, headers, booking_id):
    return client.get(f"/api/v1/bookings/{booking_id}/agreement", headers=headers)


def book(client, headers, shift_id) -> dict:
    response = client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def booked(client, headers_of, make_worker, make_job, database):
    """A confirmed part-time booking of 欧阳明月 (her ID number known) and its job and employer."""
    number = resident_id()
    worker = make_worker(name="欧阳明月", id_number=number)
    job = make_job(
        hourly_wage="31.50",
        shifts=[{**shift_times(days_ahead=3, start_hour=9, hours=4), "headcount": 2}],
    )
    booking = book(client, headers_of(worker), job.shifts[0].id)
    employer = database.get(Employer, job.employer_id)
    return worker, number, job, employer, booking


# --- made when the worker says yes -----------------------------------------------------------


def test_booking_a_part_time_shift_makes_its_agreement_with_the_facts(client, headers_of, booked):
    worker, _, job, employer, booking = booked
    response = agreement_of(client, headers_of(worker), booking["id"])
    assert response.status_code == 200, response.get_json()
    agreement = response.get_json()
    assert (agreement["kind"], agreement["title"]) == ("part_time", "非全日制用工协议")
    body = agreement["text"]
    assert body.startswith("非全日制用工协议\n")
    shift = job.shifts[0]
    for fact in (
        "欧阳明月",
        worker.id_number_masked,
        employer.name,
        employer.credit_code,
        job.title,
        job.address,
        wall_clock(shift.starts_at, "wuxi"),  # the city's wall-clock time
        wall_clock(shift.ends_at, "wuxi"),
        "人民币 31.50 元/小时",
        "每周工作时间累计不超过 24 小时",
        "十五日",
        "第七十二条",
    ):
        assert fact in body, fact
    assert agreement["sha256"] == hashlib.sha256(body.encode("utf-8")).hexdigest()
    assert agreement["parties"] == {
        "worker": {"id": worker.id, "name": "欧阳明月", "id_number": worker.id_number_masked},
        "employer": {"id": employer.id, "name": employer.name, "credit_code": employer.credit_code},
        "broker": None,
    }
    assert agreement["accepted_at"] is not None


def test_the_id_number_is_never_in_full_in_the_agreement(client, headers_of, booked):
    worker, number, _, _, booking = booked
    shown = agreement_of(client, headers_of(worker), booking["id"]).get_data(as_text=True)
    assert number not in shown and number[6:14] not in shown  # not even the birth date
    assert number[:4] + "*" * 12 + number[-2:] in shown


def test_the_acceptance_is_audited_with_the_texts_digest(client, headers_of, booked, database):
    worker, *_, booking = booked
    agreement = agreement_of(client, headers_of(worker), booking["id"]).get_json()
    [event] = database.scalars(select(AuditEvent).where(AuditEvent.action == "agreement.accepted"))
    assert event.data["sha256"] == agreement["sha256"]
    assert (event.data["booking_id"], event.data["kind"], event.city) == (
        booking["id"],
        "part_time",
        "wuxi",
    )
    assert event.actor_id == worker.user_id
    # Written right after the booking's own event, in the same chain.
    [confirmed] = database.scalars(
        select(AuditEvent).where(AuditEvent.action == "booking.confirmed")
    )
    assert event.seq == confirmed.seq + 1 and event.prev_hash == confirmed.hash


def test_the_chain_still_verifies_after_agreements(client, auth_headers, make_user, booked):
    admin = auth_headers(make_user("admin"))
    assert client.get("/api/v1/audit-events/verify", headers=admin).get_json()["ok"] is True


def test_a_pending_booking_has_its_agreement_too(client, headers_of, make_worker, make_job):
    worker = make_worker()
    job = make_job(requires_approval=True)
    booking = book(client, headers_of(worker), job.shifts[0].id)
    assert booking["status"] == "pending"
    response = agreement_of(client, headers_of(worker), booking["id"])
    assert response.status_code == 200 and response.get_json()["kind"] == "part_time"


def test_a_refused_booking_leaves_no_agreement(client, headers_of, make_worker, make_job, database):
    worker = make_worker(skills=["delivery"])
    job = make_job(required_skills=["cleaning"])
    response = client.post(
        f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(worker)
    )
    assert response.status_code == 409
    assert database.scalars(select(Agreement)).all() == []


# --- offers ---------------------------------------------------------------------------------


@pytest.fixture
def offered(client, headers_of, make_employer, make_job, make_worker):
    """An offer made to a worker by a committed plan: (worker, employer, job, booking id)."""
    employer = make_employer()
    job = make_job(
        employer=employer,
        employment_type="full_time",
        shifts=[
            {**shift_times(days_ahead=4, start_hour=9, hours=8), "headcount": 1},
            {**shift_times(days_ahead=5, start_hour=9, hours=8), "headcount": 1},
        ],
    )
    worker = make_worker()
    ids = []
    for shift in job.shifts:
        response = client.post(
            ASSIGN, json={"shift_ids": [shift.id], "commit": True}, headers=headers_of(employer)
        )
        assert response.status_code == 200, response.get_json()
        ids += [row["booking_id"] for row in response.get_json()["assignments"]]
    return worker, employer, job, ids


def test_an_offer_has_no_agreement_until_the_worker_accepts_it(client, headers_of, offered):
    worker, employer, _, (first, _) = offered
    before = agreement_of(client, headers_of(employer), first)
    assert before.status_code == 404
    assert "has not accepted" in before.get_json()["message"]
    accepted = client.post(f"/api/v1/bookings/{first}/accept", headers=headers_of(worker))
    assert accepted.status_code == 200, accepted.get_json()
    after = agreement_of(client, headers_of(employer), first)
    assert after.status_code == 200
    agreement = after.get_json()
    assert (agreement["kind"], agreement["title"]) == ("full_time", "劳动合同")
    assert (
        "统一社会信用代码" in agreement["text"] and "以完成一定工作任务为期限" in agreement["text"]
    )


def test_accepting_every_offer_of_a_job_makes_each_agreement(client, headers_of, offered, database):
    worker, _, job, ids = offered
    response = client.post(f"/api/v1/jobs/{job.id}/offers/accept", headers=headers_of(worker))
    assert response.status_code == 200, response.get_json()
    made = database.scalars(select(Agreement.booking_id).order_by(Agreement.booking_id)).all()
    assert made == sorted(ids)


def test_a_declined_offer_never_gets_an_agreement(client, headers_of, offered):
    worker, _, _, (first, _) = offered
    client.post(f"/api/v1/bookings/{first}/decline", json={}, headers=headers_of(worker))
    response = agreement_of(client, headers_of(worker), first)
    assert response.status_code == 404
    assert "never accepted" in response.get_json()["message"]


# --- each employment type -------------------------------------------------------------------


def test_a_dispatch_agreement_names_the_dispatching_broker_and_its_licence(
    client, headers_of, make_worker, make_dispatch_job
):
    job = make_dispatch_job()
    worker = make_worker()
    booking = book(client, headers_of(worker), job.shifts[0].id)
    agreement = agreement_of(client, headers_of(worker), booking["id"]).get_json()
    assert (agreement["kind"], agreement["title"]) == ("dispatch", "劳务派遣协议")
    assert agreement["parties"]["broker"] == {
        "id": job.broker.id,
        "name": "李经纪",
        "licence_number": "苏劳派许字第320200001号",
    }
    assert "劳务派遣单位李经纪" in agreement["text"]
    assert "劳务派遣经营许可证编号：苏劳派许字第320200001号" in agreement["text"]


def test_a_dispatch_job_whose_broker_lost_its_licence_cannot_be_booked(
    client, headers_of, make_worker, make_dispatch_job, database
):
    job = make_dispatch_job()
    database.get(Broker, job.broker.id).licence_number = None
    database.commit()
    response = client.post(
        f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(make_worker())
    )
    assert response.status_code == 409
    assert "licensed labour-dispatch broker" in response.get_json()["message"]
    assert database.scalars(select(Booking)).all() == []


def test_an_outsourcing_agreement_states_the_parties_rights_and_duties(
    client, headers_of, make_worker, make_job
):
    job = make_job(employment_type="outsourcing")
    worker = make_worker()
    booking = book(client, headers_of(worker), job.shifts[0].id)
    agreement = agreement_of(client, headers_of(worker), booking["id"]).get_json()
    assert (agreement["kind"], agreement["title"]) == ("outsourcing", "劳务协议")
    assert "双方的权利和义务" in agreement["text"] and "民事协议" in agreement["text"]


def test_the_agreement_states_the_injury_cover_as_it_stood(
    client, headers_of, make_worker, make_job
):
    valid_to = (clock.local_now() + timedelta(days=30)).date().isoformat()
    job = make_job(
        injury_cover={"insurer": "人保财险无锡分公司", "policy_number": "P-1", "valid_to": valid_to}
    )
    worker = make_worker()
    booking = book(client, headers_of(worker), job.shifts[0].id)
    body = agreement_of(client, headers_of(worker), booking["id"]).get_json()["text"]
    assert f"承保机构：人保财险无锡分公司；保单号：P-1；保障期限至 {valid_to}。" in body
    assert "本班次在保障期限内。" in body


# --- fixed at acceptance --------------------------------------------------------------------


def test_later_edits_of_the_job_never_change_the_agreement(
    client, headers_of, auth_headers, booked, database
):
    worker, _, job, _, booking = booked
    before = agreement_of(client, headers_of(worker), booking["id"]).get_json()
    changed = client.patch(
        f"/api/v1/jobs/{job.id}",
        json={"title": "写字楼保洁", "hourly_wage": "40.00", "address": "无锡市新吴区长江路1号"},
        headers=auth_headers(database.get(User, job.posted_by)),
    )
    assert changed.status_code == 200
    after = agreement_of(client, headers_of(worker), booking["id"]).get_json()
    assert after == before
    assert "写字楼保洁" not in after["text"] and "31.50" in after["text"]


def test_the_stored_text_and_parties_are_sealed(client, headers_of, booked, database):
    """A copy of the database does not show who worked where (as the worker's name is sealed)."""
    row = database.execute(text("SELECT * FROM agreements")).mappings().one()
    clear = " ".join(str(value) for value in row.values())
    assert "欧阳" not in clear and "明月" not in clear and "非全日制" not in clear
    assert database.get(Agreement, row["id"]).parties["worker"]["name"] == "欧阳明月"


def test_the_digest_cannot_be_matched_against_guessed_names(client, headers_of, booked, database):
    """Each text carries a random agreement number: the same facts never give the same digest."""
    worker, *_, booking = booked
    body = agreement_of(client, headers_of(worker), booking["id"]).get_json()["text"]
    number_line = body.splitlines()[1]
    assert number_line.startswith(f"协议编号：LG{booking['id']:08d}-")
    assert len(number_line.split("-")[-1]) == 16


# --- who may read it ------------------------------------------------------------------------


def test_the_shifts_side_and_an_official_of_the_city_read_it(
    client, headers_of, auth_headers, make_user, make_broker, booked, database
):
    worker, _, _, employer, booking = booked
    broker = make_broker()
    delegations.delegate(database.get(User, employer.user_id), broker.id)
    database.commit()
    official = auth_headers(make_user("official", city="wuxi"))
    own = agreement_of(client, headers_of(worker), booking["id"]).get_json()
    for headers in (headers_of(employer), headers_of(broker), official):
        response = agreement_of(client, headers, booking["id"])
        assert response.status_code == 200
        assert response.get_json() == own


def test_reading_an_agreement_is_not_a_reveal(client, auth_headers, make_user, booked, database):
    *_, booking = booked
    agreement_of(client, auth_headers(make_user("official", city="wuxi")), booking["id"])
    assert (
        database.scalars(select(AuditEvent).where(AuditEvent.action == "worker.id_revealed")).all()
        == []
    )


def test_admins_may_never_read_agreements(client, auth_headers, make_user, booked):
    *_, booking = booked
    response = agreement_of(client, auth_headers(make_user("admin")), booking["id"])
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["other worker", "other employer", "other broker", "other city"])
def test_anyone_else_is_told_it_does_not_exist(
    client,
    headers_of,
    auth_headers,
    make_worker,
    make_employer,
    make_broker,
    make_user,
    booked,
    who,
):
    *_, booking = booked
    headers = {
        "other worker": lambda: headers_of(make_worker()),
        "other employer": lambda: headers_of(make_employer()),
        "other broker": lambda: headers_of(make_broker()),
        "other city": lambda: auth_headers(make_user("official", city="xining")),
    }[who]()
    response = agreement_of(client, headers, booking["id"])
    assert response.status_code == 404
    assert response.get_json()["message"] == "booking not found"
    assert agreement_of(client, headers, booking["id"] + 1000).status_code == 404


def test_a_booking_made_before_agreements_is_404_saying_so(
    client, headers_of, auth_headers, make_user, make_worker, make_job, database
):
    worker = make_worker()
    job = make_job()
    shift = job.shifts[0]
    now = clock.now()
    old = Booking(
        shift_id=shift.id,
        worker_id=worker.id,
        employer_id=job.employer_id,
        status="confirmed",
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        created_at=now,
        updated_at=now,
        confirmed_at=now,
    )
    database.add(old)
    database.commit()
    for headers in (headers_of(worker), auth_headers(make_user("official", city="wuxi"))):
        response = agreement_of(client, headers, old.id)
        assert response.status_code == 404
        assert response.get_json()["message"] == (
            f"booking {old.id} has no agreement: it was made before agreements were recorded, "
            "or the worker never accepted it"
        )


def test_the_message_is_chinese_by_default(client, headers_of, make_worker, make_job, database):
    worker = make_worker()
    job = make_job()
    shift = job.shifts[0]
    now = clock.now()
    old = Booking(
        shift_id=shift.id,
        worker_id=worker.id,
        employer_id=job.employer_id,
        status="confirmed",
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        created_at=now,
        updated_at=now,
    )
    database.add(old)
    database.commit()
    response = client.get(
        f"/api/v1/bookings/{old.id}/agreement",
        headers={**headers_of(worker), "Accept-Language": "zh"},
    )
    assert response.get_json()["message"].startswith(f"预约 {old.id} 没有协议")
