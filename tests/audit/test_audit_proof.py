"""The audit log proves itself: the attacks of someone with database access, and what finds them.

Each attack is SQL on the tables, as someone holding the database but not the service's keys
would write it. The HMAC chain finds an altered, inserted, deleted or re-chained event; signed
checkpoints find a deleted tail and an insider who re-chains with the HMAC key; a checkpoints
file kept outside the database finds the tail deleted together with its checkpoint rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import func, insert, select, text

from marketplace.audit import keys
from marketplace.audit import services as audit
from marketplace.audit.models import AuditCheckpoint, AuditEvent
from marketplace.config import ConfigError, build
from marketplace.scheduler import JOBS, run_job
from tests.audit.chain import record_some

EVENTS = "/api/v1/audit-events"
PROOF_PATHS = (f"{EVENTS}/verify", f"{EVENTS}/public-key", f"{EVENTS}/checkpoints")
WRONG_KEY = b"a-key-the-attacker-made-up-0123456789"
NEW_KEY = "the-next-audit-key-0123456789abcdef"
NEW_SIGNING_KEY = "the-next-audit-signing-key-0123456789"


@pytest.fixture
def every(app, monkeypatch) -> Callable[[int], None]:
    """Checkpoints every ``n`` events for this test: ``every(3)``."""

    def set_every(n: int) -> None:
        monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_EVERY", n)

    return set_every


def row(database, seq: int) -> Any:
    """An event as stored."""
    columns = AuditEvent.__table__.columns
    return database.execute(select(*columns).where(AuditEvent.seq == seq)).one()


def checkpoint_seqs(database) -> list[int]:
    return list(database.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq)))


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def exported_file(database) -> list[audit.Checkpoint]:
    """The checkpoints as a file kept outside the database, read back."""
    stored = database.scalars(audit.checkpoints_query())
    document = json.dumps([audit.Checkpoint.of(checkpoint).as_dict() for checkpoint in stored])
    return audit.parse_exported(json.loads(document))


def rechain(database, from_seq: int, make_hash: Callable[[bytes], str]) -> None:
    """What an attacker does after an edit: recompute every later link and hash."""
    prev_hash = row(database, from_seq - 1).hash if from_seq > 1 else audit.GENESIS_HASH
    last = database.scalar(select(func.max(AuditEvent.seq)))
    for seq in range(from_seq, last + 1):
        event = SimpleNamespace(**row(database, seq)._mapping)
        event.prev_hash = prev_hash
        prev_hash = make_hash(audit.canonical_content(event))
        database.execute(
            text("UPDATE audit_events SET prev_hash = :prev, hash = :hash WHERE seq = :seq"),
            {"prev": event.prev_hash, "hash": prev_hash, "seq": seq},
        )


def alter_data(database, seq: int, data: dict[str, Any]) -> None:
    database.execute(
        text("UPDATE audit_events SET data = :data WHERE seq = :seq"),
        {"data": json.dumps(data), "seq": seq},
    )


# --- the chain ------------------------------------------------------------------------------


def test_an_event_whose_data_is_altered_in_the_database_is_found(database):
    record_some(5)
    alter_data(database, 3, {"n": 2, "amount": "9999.00"})
    report = audit.verify()
    assert report.as_dict() == {"ok": False, "count": 2, "first_bad_seq": 3}


@pytest.mark.parametrize("forged_with", ["plain SHA-256", "HMAC under a wrong key"])
def test_an_event_inserted_in_the_middle_is_found(database, forged_with):
    record_some(5)
    # Make room at seq 3: the later events move up by one (through negatives, as the primary
    # key is checked row by row).
    database.execute(text("UPDATE audit_events SET seq = -seq WHERE seq >= 3"))
    database.execute(text("UPDATE audit_events SET seq = 1 - seq WHERE seq < 0"))
    forged = SimpleNamespace(
        seq=3,
        at=datetime.now(UTC),
        actor_id=None,
        action="flag.approved",
        entity="flag",
        entity_id="77",
        city="wuxi",
        data={"amount": "5000.00"},
        prev_hash=row(database, 2).hash,
        key_id=row(database, 2).key_id,  # copied from its neighbours
    )
    content = audit.canonical_content(forged)
    if forged_with == "plain SHA-256":
        forged.hash = sha256(content)
    else:
        forged.hash = hmac.digest(WRONG_KEY, content, "sha256").hex()
    database.execute(insert(AuditEvent.__table__).values(**vars(forged)))
    report = audit.verify()
    assert report.as_dict() == {"ok": False, "count": 2, "first_bad_seq": 3}


def test_an_event_deleted_in_the_middle_is_found(database):
    record_some(5)
    database.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    assert audit.verify().as_dict() == {"ok": False, "count": 2, "first_bad_seq": 3}


def test_an_event_deleted_and_the_gap_closed_is_found(database):
    record_some(5)
    database.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    database.execute(text("UPDATE audit_events SET seq = seq - 1 WHERE seq = 4"))
    database.execute(text("UPDATE audit_events SET seq = seq - 1 WHERE seq = 5"))
    database.execute(
        text("UPDATE audit_events SET prev_hash = :prev WHERE seq = 3"),
        {"prev": row(database, 2).hash},
    )
    assert audit.verify().as_dict() == {"ok": False, "count": 2, "first_bad_seq": 3}


def test_a_chain_recomputed_with_sha256_after_an_edit_is_found(database):
    record_some(5)
    alter_data(database, 2, {"n": 1, "amount": "1000.00"})
    rechain(database, 2, sha256)
    assert audit.verify().as_dict() == {"ok": False, "count": 1, "first_bad_seq": 2}


def test_a_chain_recomputed_with_the_hmac_key_is_caught_by_the_signed_checkpoint(database, every):
    every(3)
    record_some(7)  # checkpoints at 3 and 6
    # An insider holding the HMAC key (but not the signing key) rewrites event 2 and every
    # link after it: each event verifies, the checkpoint of event 3 does not.
    alter_data(database, 2, {"n": 1, "amount": "1000.00"})
    rechain(database, 2, keys.chain_key().mac)
    assert audit.verify().as_dict() == {"ok": False, "count": 2, "first_bad_seq": 3}


# --- the tail and the checkpoints -------------------------------------------------------------


def test_events_deleted_back_past_the_last_checkpoint_are_found(database, every):
    every(3)
    record_some(7)
    assert checkpoint_seqs(database) == [3, 6]
    database.execute(text("DELETE FROM audit_events WHERE seq > 4"))
    assert audit.verify().as_dict() == {"ok": False, "count": 4, "missing_after_seq": 4}
    database.execute(text("DELETE FROM audit_events"))
    assert audit.verify().as_dict() == {"ok": False, "count": 0, "missing_after_seq": 0}


def test_events_after_the_last_checkpoint_are_the_window_a_deletion_can_hide_in(database, every):
    # The limit, stated: a checkpoint speaks for the events up to it only. Deleting event 7
    # (after the checkpoint of event 6) leaves a shorter chain that is whole.
    every(3)
    record_some(7)
    database.execute(text("DELETE FROM audit_events WHERE seq = 7"))
    assert audit.verify().as_dict() == {"ok": True, "count": 6, "checkpoints": 2}


def test_the_tail_deleted_with_its_checkpoints_is_caught_only_with_the_exported_file(
    database, every
):
    every(3)
    record_some(7)
    kept_outside = exported_file(database)
    database.execute(text("DELETE FROM audit_events WHERE seq > 4"))
    database.execute(text("DELETE FROM audit_checkpoints WHERE seq > 4"))
    # The database alone is consistent again: a shorter chain and its one checkpoint.
    assert audit.verify().as_dict() == {"ok": True, "count": 4, "checkpoints": 1}
    report = audit.verify(exported=kept_outside)
    assert report.as_dict() == {"ok": False, "count": 4, "missing_after_seq": 4}


def test_a_checkpoint_row_deleted_while_its_event_stays_is_caught_with_the_exported_file(
    database, every
):
    every(3)
    record_some(7)
    kept_outside = exported_file(database)
    database.execute(text("DELETE FROM audit_checkpoints WHERE seq = 3"))
    assert audit.verify().ok
    report = audit.verify(exported=kept_outside)
    assert report.as_dict() == {"ok": False, "count": 2, "first_bad_seq": 3}


def test_the_exported_file_checks_out_against_an_untouched_database(database, every):
    every(3)
    record_some(7)
    kept_outside = exported_file(database)
    assert audit.verify(exported=kept_outside).as_dict() == {
        "ok": True,
        "count": 7,
        "checkpoints": 2,
    }


def test_an_altered_exported_file_is_not_trusted(database, every):
    every(3)
    record_some(7)
    first, second = exported_file(database)
    altered = audit.Checkpoint(
        second.seq, row(database, 5).hash, second.at, second.signature, second.key_id
    )
    report = audit.verify(exported=[first, altered])
    assert report.as_dict() == {"ok": False, "count": 5, "first_bad_seq": 6}


def test_a_checkpoint_with_a_tampered_signature_is_found(database, every):
    every(3)
    record_some(7)
    # Each signature is genuine, over another checkpoint: swapped, neither holds.
    signatures = {
        seq: signature
        for seq, signature in database.execute(text("SELECT seq, signature FROM audit_checkpoints"))
    }
    for seq, other in ((3, 6), (6, 3)):
        database.execute(
            text("UPDATE audit_checkpoints SET signature = :signature WHERE seq = :seq"),
            {"signature": signatures[other], "seq": seq},
        )
    assert audit.verify().as_dict() == {"ok": False, "count": 2, "first_bad_seq": 3}


def test_a_checkpoint_whose_hash_was_changed_is_found(database, every):
    every(3)
    record_some(7)
    database.execute(
        text("UPDATE audit_checkpoints SET hash = :hash WHERE seq = 6"),
        {"hash": row(database, 5).hash},
    )
    assert audit.verify().as_dict() == {"ok": False, "count": 5, "first_bad_seq": 6}


def test_checkpoints_signed_with_a_key_of_the_attackers_own_are_not_trusted(database, every):
    every(3)
    record_some(7)
    # The insider re-chains after an edit with the HMAC key and signs fresh checkpoints with a
    # key pair of their own, under their key's id or under the real one: verify trusts only
    # the keys it derives from its configuration.
    alter_data(database, 2, {"n": 1, "amount": "1000.00"})
    rechain(database, 2, keys.chain_key().mac)
    own = Ed25519PrivateKey.generate()
    for key_id in (keys.signing_key_id(own.public_key()), keys.signing_key().key_id):
        for seq in (3, 6):
            at = audit.checkpoint_instant(datetime.now(UTC))
            message = audit.checkpoint_message(seq, row(database, seq).hash, at)
            database.execute(
                text(
                    "UPDATE audit_checkpoints SET hash = :hash, signature = :signature, "
                    "key_id = :key_id WHERE seq = :seq"
                ),
                {
                    "hash": row(database, seq).hash,
                    "signature": base64.b64encode(own.sign(message)).decode(),
                    "key_id": key_id,
                    "seq": seq,
                },
            )
        assert audit.verify().as_dict() == {"ok": False, "count": 2, "first_bad_seq": 3}


# --- key rotation -----------------------------------------------------------------------------


def test_events_under_a_retired_key_verify_and_fail_once_it_is_removed(app, database, monkeypatch):
    old_key = app.config["AUDIT_KEY"]
    record_some(2)
    monkeypatch.setitem(app.config, "AUDIT_KEY", NEW_KEY)
    monkeypatch.setitem(app.config, "AUDIT_KEY_RETIRED", (old_key,))
    record_some(2)
    key_ids = list(database.scalars(select(AuditEvent.key_id).order_by(AuditEvent.seq)))
    old_id, new_id = keys.chain_key_id(old_key.encode()), keys.chain_key_id(NEW_KEY.encode())
    assert key_ids == [old_id, old_id, new_id, new_id]
    assert audit.verify().as_dict() == {"ok": True, "count": 4, "checkpoints": 0}

    monkeypatch.setitem(app.config, "AUDIT_KEY_RETIRED", ())
    assert audit.verify().as_dict() == {"ok": False, "count": 0, "first_bad_seq": 1}


def test_checkpoints_of_a_retired_signing_key_verify_and_fail_once_it_is_removed(
    app, database, monkeypatch, every
):
    every(2)
    old_key = app.config["AUDIT_SIGNING_KEY"]
    record_some(2)
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY", NEW_SIGNING_KEY)
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY_RETIRED", (old_key,))
    record_some(2)
    signers = list(database.scalars(select(AuditCheckpoint.key_id).order_by(AuditCheckpoint.seq)))
    assert signers == [
        keys.signing_key({"AUDIT_SIGNING_KEY": old_key}).key_id,
        keys.signing_key().key_id,
    ]
    assert audit.verify().as_dict() == {"ok": True, "count": 4, "checkpoints": 2}

    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY_RETIRED", ())
    assert audit.verify().as_dict() == {"ok": False, "count": 1, "first_bad_seq": 2}


# --- writing checkpoints ----------------------------------------------------------------------


def test_a_checkpoint_is_written_with_every_nth_event_in_the_same_transaction(database, every):
    every(3)
    record_some(2)
    database.commit()
    assert checkpoint_seqs(database) == []
    audit.record("test.happened", "test", 3, {})
    audit.sequence()
    third = database.get(AuditEvent, 3)
    [checkpoint] = database.scalars(select(AuditCheckpoint))
    assert (checkpoint.seq, checkpoint.hash) == (3, third.hash)
    # The event and its checkpoint go together: rolled back, neither is left.
    database.rollback()
    assert checkpoint_seqs(database) == []
    assert database.scalar(select(func.max(AuditEvent.seq))) == 2


def test_a_checkpoint_verifies_with_nothing_but_the_published_public_key(
    client, auth_headers, make_user, database, every
):
    every(2)
    record_some(2)
    database.commit()
    admin = auth_headers(make_user("admin"))
    published = client.get(f"{EVENTS}/public-key", headers=admin).get_json()
    [checkpoint] = client.get(f"{EVENTS}/checkpoints", headers=admin).get_json()
    # What an outside verifier does, without this code base: the canonical JSON of the three
    # fields as exported, and Ed25519 under the published key.
    message = json.dumps(
        {key: checkpoint[key] for key in ("seq", "hash", "at")},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(published["public_key"]))
    public.verify(base64.b64decode(checkpoint["signature"]), message)  # raises when it fails
    assert checkpoint["key_id"] == published["key_id"]
    assert checkpoint["hash"] == row(database, 2).hash


def test_many_events_appended_at_once_get_a_checkpoint_at_each_multiple(database, every):
    every(3)
    record_some(1)
    audit.record_many([audit.Entry("test.bulk", "test", n, {"n": n}) for n in range(9)])
    audit.sequence()
    assert checkpoint_seqs(database) == [3, 6, 9]
    for seq in (3, 6, 9):
        stored = database.get(AuditCheckpoint, seq)
        assert stored is not None and stored.hash == row(database, seq).hash
    assert audit.verify().as_dict() == {"ok": True, "count": 10, "checkpoints": 3}


def test_the_hourly_job_signs_the_tail_only_when_it_moved(database):
    assert JOBS["audit_checkpoint"].trigger == {"trigger": "cron", "minute": 3}  # every hour
    assert run_job("audit_checkpoint").result == {"checkpoint_seq": None}  # no events yet
    record_some(2)
    assert run_job("audit_checkpoint").result == {"checkpoint_seq": 2}
    assert run_job("audit_checkpoint").result == {"checkpoint_seq": None}
    record_some(1)
    assert run_job("audit_checkpoint").result == {"checkpoint_seq": 3}
    assert checkpoint_seqs(database) == [2, 3]
    assert audit.verify().as_dict() == {"ok": True, "count": 3, "checkpoints": 2}


def test_the_hourly_job_never_signs_a_tail_that_does_not_verify(database):
    record_some(3)
    alter_data(database, 2, {"n": 1, "amount": "1000.00"})
    database.commit()
    with pytest.raises(audit.ChainBroken, match="seq 2"):
        run_job("audit_checkpoint")
    assert checkpoint_seqs(database) == []


def test_the_hourly_job_never_builds_on_a_checkpoint_whose_signature_fails(database):
    record_some(2)
    run_job("audit_checkpoint")
    record_some(1)
    database.execute(text("UPDATE audit_checkpoints SET signature = :forged"), {"forged": "A" * 88})
    database.commit()
    with pytest.raises(audit.ChainBroken, match="seq 2"):
        run_job("audit_checkpoint")
    assert checkpoint_seqs(database) == [2]


# --- the endpoints ----------------------------------------------------------------------------


def test_the_public_key_is_published_with_the_retired_ones(
    app, client, auth_headers, make_user, monkeypatch
):
    official = auth_headers(make_user("official", city="wuxi"))
    body = client.get(f"{EVENTS}/public-key", headers=official).get_json()
    raw = base64.b64decode(body["public_key"])
    pem = load_pem_public_key(body["pem"].encode())
    assert body["algorithm"] == "Ed25519" and len(raw) == 32
    assert isinstance(pem, Ed25519PublicKey) and keys.raw_public_key(pem) == raw
    assert body["key_id"] == hashlib.sha256(raw).hexdigest()[:16]
    assert body["retired"] == []

    old_key = app.config["AUDIT_SIGNING_KEY"]
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY", NEW_SIGNING_KEY)
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY_RETIRED", (old_key,))
    rotated = client.get(f"{EVENTS}/public-key", headers=official).get_json()
    assert rotated["retired"] == [{"key_id": body["key_id"], "public_key": body["public_key"]}]
    assert rotated["key_id"] != body["key_id"]


def test_the_checkpoints_export_pages_oldest_first_and_is_an_audit_event(
    client, auth_headers, make_user, database, every
):
    every(2)
    record_some(6)
    database.commit()
    official = make_user("official", city="wuxi")
    headers = auth_headers(official)
    response = client.get(f"{EVENTS}/checkpoints?per_page=2", headers=headers)
    assert response.status_code == 200
    assert [checkpoint["seq"] for checkpoint in response.get_json()] == [2, 4]
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    export = database.scalar(select(AuditEvent).where(AuditEvent.action == "export.downloaded"))
    assert export is not None
    assert (export.actor_id, export.city) == (official.id, "wuxi")
    assert export.data == {
        "export": "audit_checkpoints",
        "filters": {"page": 1, "per_page": 2},
        "rows": 2,
    }

    later = client.get(f"{EVENTS}/checkpoints?from_seq=3", headers=headers).get_json()
    assert [checkpoint["seq"] for checkpoint in later] == [4, 6]
    everything = client.get(f"{EVENTS}/checkpoints", headers=headers).get_json()
    assert audit.verify(exported=audit.parse_exported(everything)).ok


def test_only_officials_and_admins_reach_the_proof_endpoints(
    client, auth_headers, make_user, database
):
    for path in PROOF_PATHS:
        assert client.get(path).status_code == 401
        for role in ("worker", "employer", "broker"):
            assert client.get(path, headers=auth_headers(make_user(role))).status_code == 403
        for caller in (make_user("official", city="xining"), make_user("admin")):
            assert client.get(path, headers=auth_headers(caller)).status_code == 200
    exports = select(func.count()).where(AuditEvent.action == "export.downloaded")
    assert database.scalar(exports) == 2  # the official's and the admin's, no one else's


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli(app, database):
    return app.test_cli_runner()


def test_the_cli_exports_checkpoints_and_verifies_against_the_file(
    cli, database, every, tmp_path: Path
):
    every(3)
    record_some(7)
    database.commit()
    exported = cli.invoke(args=["audit", "export-checkpoints"])
    assert exported.exit_code == 0, exported.output
    kept_outside = tmp_path / "checkpoints.json"
    kept_outside.write_text(exported.output)
    assert [checkpoint["seq"] for checkpoint in json.loads(exported.output)] == [3, 6]

    verified = cli.invoke(args=["audit", "verify", "--checkpoints", str(kept_outside)])
    assert verified.exit_code == 0, verified.output
    # 7 events and the export's own event.
    assert json.loads(verified.output) == {"ok": True, "count": 8, "checkpoints": 2}

    database.execute(text("DELETE FROM audit_events WHERE seq > 4"))
    database.execute(text("DELETE FROM audit_checkpoints WHERE seq > 4"))
    database.commit()
    alone = cli.invoke(args=["audit", "verify"])
    assert (alone.exit_code, json.loads(alone.output)) == (
        0,
        {"ok": True, "count": 4, "checkpoints": 1},
    )
    with_file = cli.invoke(args=["audit", "verify", "--checkpoints", str(kept_outside)])
    assert (with_file.exit_code, json.loads(with_file.output)) == (
        1,
        {"ok": False, "count": 4, "missing_after_seq": 4},
    )


def test_the_cli_refuses_a_file_that_is_not_a_checkpoints_export(cli, tmp_path: Path):
    for content in ("not json", '{"seq": 1}', '[{"seq": "1"}]'):
        bad = tmp_path / "bad.json"
        bad.write_text(content)
        result = cli.invoke(args=["audit", "verify", "--checkpoints", str(bad)])
        assert result.exit_code == 2 and "--checkpoints" in result.output


def test_the_cli_signs_a_checkpoint_of_the_tail_now(cli, database):
    record_some(2)
    database.commit()
    first = cli.invoke(args=["audit", "checkpoint"])
    assert first.exit_code == 0 and "seq 2" in first.output
    again = cli.invoke(args=["audit", "checkpoint"])
    assert again.exit_code == 0 and "no checkpoint written" in again.output
    assert checkpoint_seqs(database) == [2]


# --- configuration --------------------------------------------------------------------------

POSTGRES_KEYS = {
    "DATABASE_URL": "postgresql://postgres@db.internal/market",
    "SECRET_KEY": "from-the-environment-0123456789",
    "MARKETPLACE_ID_KEY": "from-the-environment-0123456789",
    "MARKETPLACE_AUDIT_KEY": "from-the-environment-audit-0123456789",
    "MARKETPLACE_AUDIT_SIGNING_KEY": "from-the-environment-signing-0123456789",
}


@pytest.mark.parametrize("missing", ["AUDIT_KEY", "AUDIT_SIGNING_KEY"])
def test_on_postgresql_the_service_refuses_to_start_without_its_audit_keys(tmp_path: Path, missing):
    given = dict(POSTGRES_KEYS)
    del given[f"MARKETPLACE_{missing}"]
    with pytest.raises(ConfigError, match=missing):
        build(tmp_path, given, None)
    assert not (tmp_path / "audit_key").exists()
    assert not (tmp_path / "audit_signing_key").exists()


def test_the_embedded_default_generates_both_audit_keys_readable_by_their_owner_only(
    tmp_path: Path,
):
    settings = build(tmp_path, {}, None)
    for name, setting in (("audit_key", "AUDIT_KEY"), ("audit_signing_key", "AUDIT_SIGNING_KEY")):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
        assert (tmp_path / name).read_text() == settings[setting]
    assert build(tmp_path, {}, None)["AUDIT_KEY"] == settings["AUDIT_KEY"]


def test_retired_keys_come_comma_separated_and_each_must_be_a_key(tmp_path: Path):
    given = {
        **POSTGRES_KEYS,
        "MARKETPLACE_AUDIT_KEY_RETIRED": "first-old-key-0123456789, second-old-key-0123456789",
        "MARKETPLACE_AUDIT_SIGNING_KEY_RETIRED": "old-signing-key-0123456789",
    }
    settings = build(tmp_path, given, None)
    assert settings["AUDIT_KEY_RETIRED"] == (
        "first-old-key-0123456789",
        "second-old-key-0123456789",
    )
    assert settings["AUDIT_SIGNING_KEY_RETIRED"] == ("old-signing-key-0123456789",)
    with pytest.raises(ConfigError, match="AUDIT_KEY_RETIRED"):
        build(tmp_path, {**given, "MARKETPLACE_AUDIT_KEY_RETIRED": "short"}, None)


def test_the_chain_key_and_the_signing_key_must_differ(tmp_path: Path):
    same = {
        **POSTGRES_KEYS,
        "MARKETPLACE_AUDIT_SIGNING_KEY": POSTGRES_KEYS["MARKETPLACE_AUDIT_KEY"],
    }
    with pytest.raises(ConfigError, match="different"):
        build(tmp_path, same, None)


def test_the_checkpoint_interval_is_a_positive_integer(tmp_path: Path):
    assert build(tmp_path, POSTGRES_KEYS, None)["AUDIT_CHECKPOINT_EVERY"] == 1000
    for bad in ("0", "-1", "often"):
        with pytest.raises(ConfigError, match="AUDIT_CHECKPOINT_EVERY"):
            build(tmp_path, {**POSTGRES_KEYS, "MARKETPLACE_AUDIT_CHECKPOINT_EVERY": bad}, None)


def test_the_signing_key_is_derived_from_its_secret_as_documented():
    # HKDF-SHA256, no salt, the documented info, 32 bytes: the Ed25519 private key's seed.
    secret = "one-signing-secret-0123456789"
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=keys.SIGNING_KEY_INFO).derive(
        secret.encode()
    )
    expected = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    derived = keys.signing_key({"AUDIT_SIGNING_KEY": secret})
    assert keys.raw_public_key(derived.public) == keys.raw_public_key(expected)
    assert keys.SIGNING_KEY_INFO == b"marketplace/audit/checkpoint-signing/ed25519/v1"
    other = keys.signing_key({"AUDIT_SIGNING_KEY": "another-signing-secret-0123456789"})
    assert other.key_id != derived.key_id
    # Key material never shows in a repr (a log line, a traceback).
    chain = keys.chain_key({"AUDIT_KEY": "one-chain-secret-0123456789"})
    assert "secret" not in repr(derived) + repr(chain)
