"""The audit log: a hash chain that detects tampering, readable by officials of the city.

The attacks of someone with database access, the checkpoints and the keys: test_audit_proof.py.
"""

from __future__ import annotations

from sqlalchemy import select, text, update

from marketplace.audit import services as audit
from marketplace.audit.models import AuditEvent
from tests.audit.chain import record_some

EVENTS = "/api/v1/audit-events"


def test_events_chain_each_to_the_previous(database):
    first, second, third = record_some()
    assert first.prev_hash == audit.GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert [first.seq, second.seq, third.seq] == [first.seq, first.seq + 1, first.seq + 2]
    assert audit.verify().ok


def test_altering_a_stored_event_is_detected(database):
    events = record_some(4)
    database.commit()
    database.execute(
        update(AuditEvent).where(AuditEvent.seq == events[2].seq).values(data={"n": 99})
    )
    report = audit.verify()
    assert not report.ok and report.first_bad_seq == events[2].seq


def test_rewriting_an_event_and_its_hash_under_the_key_breaks_the_next_link(database):
    events = record_some(4)
    victim = database.get(AuditEvent, events[1].seq)
    victim.data = {"n": 1, "amount": "1000.00"}
    victim.hash = audit.event_hash(victim)
    database.flush()
    report = audit.verify()
    assert not report.ok and report.first_bad_seq == events[2].seq


def test_deleting_an_event_is_detected(database):
    events = record_some(4)
    database.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": events[1].seq})
    report = audit.verify()
    assert not report.ok and report.first_bad_seq == events[1].seq


def test_officials_read_their_citys_events_and_admins_all(
    client, auth_headers, make_user, database
):
    record_some(2, city="wuxi")
    record_some(1, city="xining")
    database.commit()
    wuxi = client.get(EVENTS, headers=auth_headers(make_user("official", city="wuxi"))).get_json()
    assert {event["city"] for event in wuxi} == {"wuxi"} and len(wuxi) == 2
    everything = client.get(EVENTS, headers=auth_headers(make_user("admin"))).get_json()
    assert len(everything) == 3
    filtered = client.get(
        EVENTS,
        query_string={"entity": "test", "entity_id": "0"},
        headers=auth_headers(make_user("admin")),
    )
    assert len(filtered.get_json()) == 2


def test_workers_employers_and_brokers_cannot_read_the_audit_log(client, auth_headers, make_user):
    for role in ("worker", "employer", "broker"):
        assert client.get(EVENTS, headers=auth_headers(make_user(role))).status_code == 403
        assert (
            client.get(f"{EVENTS}/verify", headers=auth_headers(make_user(role))).status_code == 403
        )


def test_verify_endpoint_reports_the_chain(client, auth_headers, make_user, database):
    record_some(3)
    database.commit()
    response = client.get(f"{EVENTS}/verify", headers=auth_headers(make_user("admin")))
    assert response.get_json() == {"ok": True, "count": 3, "checkpoints": 0}


def test_many_events_appended_at_once_chain_like_one_by_one(database):
    first = record_some(1)[0]
    count = audit.record_many(
        [
            audit.Entry("test.bulk", "test", n, {"n": n}, actor_id=None, city="wuxi")
            for n in range(3)
        ]
    )
    audit.record("test.after", "test", 9, {})
    assert count == 3 and audit.sequence() == 4
    after = database.scalar(select(AuditEvent).where(AuditEvent.action == "test.after"))
    assert after.seq == first.seq + 4
    assert audit.verify().ok
    assert audit.record_many([]) == 0
