"""Appending to the audit log, signing checkpoints of it, and checking both.

**The outbox and the sequencer.** A change writes its events into ``audit_outbox`` in its own
transaction — one insert, no lock, no read of the chain — so an event exists exactly when its
change committed. The sequencer (``sequence``: the scheduled job ``audit_sequencer``, every
second) takes what it finds committed there, in the order of the outbox's ids, gives each event
the next ``seq`` and links it to the one before, and deletes it from the outbox, all in one
transaction under the chain's lock: only the sequencer takes that lock, so the service's writes
never queue on it. Transactions that commit out of order are chained in the order they are
found, never skipped (an event still uncommitted is invisible and waits for the next run) and
never chained twice. A reader of the log, ``verify`` and the checkpoints first sequence what has
committed (``catch_up``), so nobody reads a chain that lacks an event whose change they can see.

**The chain.** Each event's ``hash`` is the HMAC-SHA256, under the secret ``AUDIT_KEY``, of its
canonical JSON (every field but the hash and the key id, including ``prev_hash``), and its
``key_id`` names the key (``keys.py``). Altering, inserting, removing or reordering a stored event
breaks the chain from that event on, and without the key nobody can make a hash that verifies:
re-chaining with plain SHA-256, or with any other key, shows. Sequencing is serialised — a
transaction-scoped advisory lock on PostgreSQL, the write lock that ``BEGIN IMMEDIATE`` takes on
SQLite — and ``seq`` is the primary key, so two sequencers can never both extend the same tail.

**Checkpoints.** Deleting the last events leaves a shorter chain that is still whole, and a
holder of the HMAC key could re-chain anything. So the sequencer writes, in the same
transaction, a checkpoint whenever an event's seq is a multiple of ``AUDIT_CHECKPOINT_EVERY``,
and the hourly job ``audit_checkpoint`` writes one of the tail when it moved: an Ed25519
signature over the canonical JSON of ``{"seq", "hash", "at"}`` (``at`` in the exact text the
export shows). ``verify`` then also finds a checkpoint that is forged, one whose event differs,
and a chain that ends before the last checkpoint. Checkpoints exported and kept outside the
database (``GET /audit-events/checkpoints``, ``flask audit export-checkpoints``) catch the
deletion of checkpoint rows too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from flask import current_app
from sqlalchemy import Select, bindparam, delete, insert, select

from marketplace import clock
from marketplace.audit import keys
from marketplace.audit.models import AuditCheckpoint, AuditEvent, AuditOutboxEntry
from marketplace.common import bulk
from marketplace.database import execute_core, prebuilt, serialise_on
from marketplace.extensions import db

GENESIS_HASH = "0" * 64
# Any constant key works: only the audit log takes this advisory lock.
_CHAIN_LOCK_KEY = 0x617564697400  # "audit"
# Checkpoint instants are signed as the API shows instants: China Standard Time, to the
# microsecond always (isoformat would drop a zero fraction), so the text is one function of
# the instant.
_CHECKPOINT_ZONE = ZoneInfo(clock.DEFAULT_TIMEZONE)


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """Decimals, dates and the like as strings, exactly as they will be read back."""
    return json.loads(json.dumps(data, default=str, ensure_ascii=False))


def _canonical_json(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def canonical_content(event: Any) -> bytes:
    """The bytes an event's hash covers."""
    return _canonical_json(
        {
            "seq": event.seq,
            "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": event.actor_id,
            "action": event.action,
            "entity": event.entity,
            "entity_id": event.entity_id,
            "city": event.city,
            "data": event.data,
            "prev_hash": event.prev_hash,
        }
    )


def event_hash(event: Any, key: keys.ChainKey | None = None) -> str:
    """The HMAC of an event's canonical content under ``key`` (by default ``AUDIT_KEY``)."""
    return (key or keys.chain_key()).mac(canonical_content(event))


def checkpoint_instant(at: datetime) -> str:
    """A checkpoint's ``at`` as signed and exported (``2026-11-29T10:00:00.000000+08:00``)."""
    return at.astimezone(_CHECKPOINT_ZONE).isoformat(timespec="microseconds")


def checkpoint_message(seq: int, hash_: str, at: str) -> bytes:
    """The bytes a checkpoint's signature covers: the canonical JSON of ``{"seq","hash","at"}``."""
    return _canonical_json({"seq": seq, "hash": hash_, "at": at})


# The chain's last event (built once: the sequencer reads it every run).
@prebuilt
def _tail_statement() -> Select[*tuple[Any, ...]]:
    return select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)


@prebuilt
def _last_checkpoint_statement() -> Select[*tuple[Any, ...]]:
    return select(*AuditCheckpoint.__table__.columns).order_by(AuditCheckpoint.seq.desc()).limit(1)


def _lock_chain() -> None:
    serialise_on(_CHAIN_LOCK_KEY)


def _signed_checkpoint(
    seq: int, hash_: str, at: datetime, signer: keys.SigningKey
) -> dict[str, Any]:
    """The row of a new checkpoint of event ``seq`` (whose hash is ``hash_``)."""
    message = checkpoint_message(seq, hash_, checkpoint_instant(at))
    return {
        "seq": seq,
        "hash": hash_,
        "at": at,
        "signature": signer.sign(message),
        "key_id": signer.key_id,
    }


def _outbox_row(
    at: datetime,
    action: str,
    entity: str,
    entity_id: int | str,
    data: dict[str, Any] | None,
    actor_id: int | None,
    city: str | None,
) -> dict[str, Any]:
    return {
        "at": at,
        "actor_id": actor_id,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "city": city,
        "data": _json_safe(data or {}),
    }


def record(
    action: str,
    entity: str,
    entity_id: int | str,
    data: dict[str, Any] | None = None,
    *,
    actor_id: int | None = None,
    city: str | None = None,
) -> None:
    """Record one event (``action`` is ``<entity>.<verb>``) with this transaction's change.

    It goes into the outbox and joins the chain when the sequencer finds it committed.
    """
    row = _outbox_row(clock.now(), action, entity, entity_id, data, actor_id, city)
    # A plain row: the session's unit of work costs more than the insert.
    execute_core(_outbox_insert(), row)


@prebuilt
def _outbox_insert() -> Any:
    return insert(AuditOutboxEntry)


EXPORT_DOWNLOADED = "export.downloaded"


def record_export(
    what: str,
    file_format: str,
    filters: dict[str, Any],
    rows: int,
    *,
    actor_id: int,
    city: str | None,
) -> None:
    """Audit an export of personal data: who took which (``what``), of which city, how, rows.

    The event (``export.downloaded``, entity ``export``, id ``what``) joins the request's
    transaction: an export whose request fails leaves no event, and no event is ever missing
    for data that was sent. ``city`` is the city the export covers (None: every city, which
    only admins see, or a person's own data).
    """
    record(
        EXPORT_DOWNLOADED,
        "export",
        what,
        {"export": what, "format": file_format, "filters": filters, "rows": rows},
        actor_id=actor_id,
        city=city,
    )


@dataclass(frozen=True)
class Entry:
    """One event to append with ``record_many``: the arguments of ``record``."""

    action: str
    entity: str
    entity_id: int | str
    data: dict[str, Any]
    actor_id: int | None = None
    city: str | None = None


def record_many(entries: Sequence[Entry]) -> int:
    """Record ``entries`` in order, as ``record`` would one by one; answers how many.

    One bulk write: an evaluation that raises tens of thousands of flags writes their events in
    seconds instead of a round trip per event.
    """
    at = clock.now()
    rows = [
        _outbox_row(at, e.action, e.entity, e.entity_id, e.data, e.actor_id, e.city)
        for e in entries
    ]
    bulk.write_rows(AuditOutboxEntry.__table__, rows)  # type: ignore[arg-type]
    return len(rows)


# --- the sequencer ----------------------------------------------------------------------------

SEQUENCE_BATCH = 5000
# What an event says (models._EventContent): every column of the outbox but its id.
_OUTBOX_COLUMNS = tuple(
    column.key for column in AuditOutboxEntry.__table__.columns if column.key != "id"
)


@prebuilt
def _waiting_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(*AuditOutboxEntry.__table__.columns)
        .order_by(AuditOutboxEntry.id)
        .limit(bindparam("limit"))
    )


def sequence(batch_size: int = SEQUENCE_BATCH) -> int:
    """Chain every event the outbox holds committed, in this transaction; answers how many.

    The caller commits (the scheduled job, or ``catch_up``). Under the chain's lock: the tail is
    read once, the waiting events are read in id order a batch at a time, each is given the next
    seq and linked, written to the chain and deleted from the outbox by its own id — never by a
    range, which could take an event that committed after the read and was never chained.
    """
    _lock_chain()
    tail = execute_core(_tail_statement()).first()
    seq, prev_hash = (tail.seq, tail.hash) if tail else (0, GENESIS_HASH)
    config = current_app.config
    key, every = keys.chain_key(config), config["AUDIT_CHECKPOINT_EVERY"]
    chained = 0
    while True:
        waiting = execute_core(_waiting_statement(), {"limit": batch_size}).all()
        if not waiting:
            return chained
        rows, checkpoints = [], []
        for entry in waiting:
            seq += 1
            event = SimpleNamespace(
                seq=seq,
                prev_hash=prev_hash,
                key_id=key.key_id,
                **{name: getattr(entry, name) for name in _OUTBOX_COLUMNS},
            )
            event.hash = prev_hash = key.mac(canonical_content(event))
            rows.append(vars(event))
            if seq % every == 0:
                signer = keys.signing_key(config)
                checkpoints.append(_signed_checkpoint(seq, event.hash, event.at, signer))
        bulk.write_rows(AuditEvent.__table__, rows)  # type: ignore[arg-type]
        if checkpoints:
            execute_core(insert(AuditCheckpoint), checkpoints)
        ids = [entry.id for entry in waiting]
        execute_core(delete(AuditOutboxEntry).where(AuditOutboxEntry.id.in_(ids)))
        chained += len(waiting)
        if len(waiting) < batch_size:
            return chained


def catch_up() -> int:
    """Sequence what has committed, in a transaction of its own, before the log is read.

    Readers of the chain (the API's list and verification, the checkpoints) call this first, so
    that no event whose change they can see is missing from what they read. Commits.
    """
    chained = sequence()
    db.session.commit()
    return chained


# --- checkpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as exported: ``at`` is the exact text its signature covers."""

    seq: int
    hash: str
    at: str
    signature: str
    key_id: str

    @classmethod
    def of(cls, row: Any) -> Checkpoint:
        """The exported form of a stored checkpoint (a model or a row of its table)."""
        return cls(row.seq, row.hash, checkpoint_instant(row.at), row.signature, row.key_id)

    @classmethod
    def parse(cls, item: Any) -> Checkpoint:
        """One checkpoint of an exported file; ``ValueError`` when it is not one."""
        if not isinstance(item, dict):
            raise ValueError("each checkpoint must be a JSON object")
        seq = item.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ValueError("checkpoint field 'seq' missing or not an integer")
        texts = []
        for name in ("hash", "at", "signature", "key_id"):
            value = item.get(name)
            if not isinstance(value, str):
                raise ValueError(f"checkpoint field {name!r} missing or not a string")
            texts.append(value)
        return cls(seq, *texts)

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of the export."""
        return {
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "signature": self.signature,
            "key_id": self.key_id,
        }

    def signed_by(self, trust: keys.Trust) -> bool:
        """Whether a trusted key signed exactly this seq, hash and instant."""
        message = checkpoint_message(self.seq, self.hash, self.at)
        return trust.signature_holds(self.key_id, message, self.signature)


def parse_exported(document: Any) -> list[Checkpoint]:
    """The checkpoints of an exported JSON document (a list); ``ValueError`` when malformed."""
    if not isinstance(document, list):
        raise ValueError("an exported checkpoints file is a JSON list")
    checkpoints = [Checkpoint.parse(item) for item in document]
    if len({checkpoint.seq for checkpoint in checkpoints}) != len(checkpoints):
        raise ValueError("the file lists a seq twice")
    return checkpoints


def checkpoints_query(from_seq: int | None = None) -> Select[Any]:
    """The stored checkpoints, oldest first (from ``from_seq`` on, when given)."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.seq)
    if from_seq is not None:
        query = query.where(AuditCheckpoint.seq >= from_seq)
    return query


def exported(
    checkpoints: Iterable[AuditCheckpoint],
    filters: Mapping[str, Any],
    *,
    actor_id: int | None,
    city: str | None,
) -> list[dict[str, Any]]:
    """Checkpoints as the export shows them; the export itself is an audit event."""
    rows = [Checkpoint.of(checkpoint).as_dict() for checkpoint in checkpoints]
    record(
        "export.downloaded",
        "export",
        "audit_checkpoints",
        {"export": "audit_checkpoints", "filters": dict(filters), "rows": len(rows)},
        actor_id=actor_id,
        city=city,
    )
    return rows


class ChainBroken(RuntimeError):
    """The chain does not verify where a checkpoint was about to be signed."""

    def __init__(self, first_bad_seq: int) -> None:
        super().__init__(
            f"the audit chain is broken at seq {first_bad_seq}: no checkpoint signed over it "
            "(run `flask --app wsgi audit verify`)"
        )
        self.first_bad_seq = first_bad_seq


def checkpoint_tail() -> Checkpoint | None:
    """Sign a checkpoint of the chain's last event, unless one covers it already.

    The hourly job and ``flask audit checkpoint`` call this. What waits in the outbox is chained
    first, which holds the chain's lock to the end of the transaction (the walk is short: the
    events since the last checkpoint). Those events are checked, and the last checkpoint's
    signature: a tail that does not verify is never
    signed (``ChainBroken``), so the signature cannot launder a change made to it. Nothing is
    written when the chain is empty or the last checkpoint lies at or beyond the tail (a shorter
    chain is for ``verify`` to report).
    """
    trust = keys.trust()
    sequence()  # the tail is what has committed, chained
    walk = _Walk(trust, {}, set())
    last = execute_core(_last_checkpoint_statement()).first()
    if last is not None:
        if not Checkpoint.of(last).signed_by(trust):
            raise ChainBroken(last.seq)
        walk.next_seq, walk.prev_hash = last.seq + 1, last.hash
    broken = walk.run(_events(from_seq=walk.next_seq))
    if broken is not None:
        raise ChainBroken(broken)
    tail = execute_core(_tail_statement()).first()
    last = execute_core(_last_checkpoint_statement()).first()
    if tail is None or (last is not None and last.seq >= tail.seq):
        return None
    row = _signed_checkpoint(tail.seq, tail.hash, clock.now(), keys.signing_key())
    execute_core(insert(AuditCheckpoint), row)
    return Checkpoint.of(SimpleNamespace(**row))


def public_keys() -> dict[str, Any]:
    """The checkpoints' public key (and the retired ones still trusted), for verifiers."""
    current = keys.signing_key()
    pem = current.public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "algorithm": "Ed25519",
        "key_id": current.key_id,
        "public_key": _b64(keys.raw_public_key(current.public)),
        "pem": pem.decode("ascii"),
        "retired": [
            {"key_id": old.key_id, "public_key": _b64(keys.raw_public_key(old.public))}
            for old in keys.retired_signing_keys()
            if old.key_id != current.key_id
        ],
    }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The result of re-checking the chain and its checkpoints."""

    ok: bool
    count: int
    first_bad_seq: int | None = None
    missing_after_seq: int | None = None
    checkpoints: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The report as the API and the CLI show it."""
        if self.ok:
            return {"ok": True, "count": self.count, "checkpoints": self.checkpoints}
        if self.missing_after_seq is not None:
            return {"ok": False, "count": self.count, "missing_after_seq": self.missing_after_seq}
        return {"ok": False, "count": self.count, "first_bad_seq": self.first_bad_seq}


def _events(from_seq: int = 1, batch_size: int = 5000) -> Iterator[Any]:
    """The events from ``from_seq`` on, in seq order, as plain rows streamed in batches."""
    # Plain rows, streamed: checking a long chain must not fill the session's identity map.
    rows = db.session.execute(
        select(*AuditEvent.__table__.columns)
        .where(AuditEvent.seq >= from_seq)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch_size)
    )
    with rows:  # closes the server-side cursor even when the caller stops early
        yield from rows


class _Walk:
    """A walk along the chain in seq order that stops at the first bad event.

    An event is bad when its seq is not the next one, its ``prev_hash`` is not the previous
    event's hash, its key is not trusted or its hash is not the HMAC of its content under that
    key; or when ``pinned`` (the trusted checkpoints) holds another hash for its seq, or its seq
    is in ``bad`` (a checkpoint there that cannot be trusted).
    """

    def __init__(
        self,
        trust: keys.Trust,
        pinned: Mapping[int, str],
        bad: set[int],
        next_seq: int = 1,
        prev_hash: str = GENESIS_HASH,
    ) -> None:
        self.trust, self.pinned, self.bad = trust, pinned, bad
        self.next_seq, self.prev_hash = next_seq, prev_hash
        self.count = 0  # events that held

    @property
    def last_seq(self) -> int:
        """The seq of the last event that held (0 before the first)."""
        return self.next_seq - 1

    def run(self, events: Iterable[Any]) -> int | None:
        """Walk ``events``: the first bad seq, or None when every one held."""
        chain, pinned, bad = self.trust.chain, self.pinned, self.bad
        for event in events:
            key = chain.get(event.key_id)
            if (
                event.seq != self.next_seq
                or event.prev_hash != self.prev_hash
                or key is None
                or event.hash != key.mac(canonical_content(event))
            ):
                return self.next_seq
            if event.seq in bad or pinned.get(event.seq, event.hash) != event.hash:
                return event.seq
            self.prev_hash, self.next_seq, self.count = event.hash, event.seq + 1, self.count + 1
        return None


def verify(batch_size: int = 5000, exported: Sequence[Checkpoint] = ()) -> ChainReport:
    """Re-check every event and every checkpoint (those stored, and ``exported`` ones).

    Events: contiguous seq, each ``prev_hash`` the previous hash, each hash the HMAC under a
    trusted key. Checkpoints: each signed by a trusted key, its event present with its hash; an
    exported checkpoint must be stored, unchanged. A chain that ends before a trusted checkpoint
    lost its tail: ``missing_after_seq`` is its last seq (0 when it is empty).
    """
    trust = keys.trust()
    # Checkpoints first (few: one per thousand events or hour): a checkpoint written after the
    # events were read could otherwise lie beyond the tail seen.
    stored = {
        row.seq: Checkpoint.of(row)
        for row in db.session.execute(select(*AuditCheckpoint.__table__.columns))
    }
    bad = {seq for seq, checkpoint in stored.items() if not checkpoint.signed_by(trust)}
    pinned = {seq: checkpoint.hash for seq, checkpoint in stored.items() if seq not in bad}
    for checkpoint in exported:
        if not checkpoint.signed_by(trust):
            bad.add(checkpoint.seq)  # the file itself was altered
            continue
        pinned[checkpoint.seq] = checkpoint.hash
        if stored.get(checkpoint.seq) != checkpoint:
            # Deleted from the database or changed there: wrong at its seq if its event is
            # still there, and past the end of the chain a sign the tail went with it.
            bad.add(checkpoint.seq)
    total = len(stored.keys() | {checkpoint.seq for checkpoint in exported})

    walk = _Walk(trust, pinned, bad)
    broken = walk.run(_events(batch_size=batch_size))
    if broken is not None:
        return ChainReport(ok=False, count=walk.count, first_bad_seq=broken)
    last = walk.last_seq
    if any(seq > last for seq in pinned):
        return ChainReport(ok=False, count=walk.count, missing_after_seq=last)
    beyond = [seq for seq in bad if seq > last]
    if beyond:
        return ChainReport(ok=False, count=walk.count, first_bad_seq=min(beyond))
    return ChainReport(ok=True, count=walk.count, checkpoints=total)
