"""Policy versions stored in the database: drafts, publication, and the versions in force.

API.md "Living policies". An admin uploads a policy file's text as a draft (a new version of a
policy, or a new policy); an official of the policy's city publishes it, and the version it
replaces is superseded. Only the published version of each policy raises flags, so evaluations
read ``published``; a draft never does. Each version's SHA-256 and each change of its status is
an audit event.

The files of ``policies/`` are version 1 of their policies, published. They are stored, with
their ``policy.published`` events, the first time the service reads its policies in a writing
transaction (an evaluation, the policy list, an upload): an event is signed with the audit key,
which a migration has not, and a policy file a later release adds becomes version 1 the same way.
Until then the file stands for its version 1 (it is the same text), so a read never has to
write. Once stored, the database is the truth: editing a file of the code does not change a
policy that has versions; a new version is uploaded and published instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from functools import cache
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.common import guards
from marketplace.errors import N_, Conflict, Message, NotFound
from marketplace.extensions import db
from marketplace.subsidies.models import PolicyVersion
from marketplace.subsidies.policy import upload
from marketplace.subsidies.policy.catalogue import POLICY_DIR, Policy, load_policies, to_api
from marketplace.subsidies.policy.files import PolicyFileError, parse_policy

STATUSES = ("draft", "published", "superseded")

_MEMO = "marketplace.published_policy_versions"  # the request's read of the published versions
# Parsed policies by the SHA-256 of their text: a version's text never changes, so an evaluation
# reads only the hashes of the versions in force and parses a text once per process.
_parsed: dict[str, Policy] = {}


def digest(content: bytes) -> str:
    """The SHA-256 of a version's bytes, as its audit events name it."""
    return hashlib.sha256(content).hexdigest()


@cache
def code_files() -> tuple[tuple[Policy, bytes], ...]:
    """The policy files of the code, each with its bytes: version 1 of their policies."""
    return tuple(
        (policy, (POLICY_DIR / f"{policy.id}.toml").read_bytes()) for policy in load_policies()
    )


def _policy_of(sha256: str, content: str) -> Policy:
    found = _parsed.get(sha256)
    if found is None:
        found = _parsed[sha256] = parse_policy(tomllib.loads(content), sha256)
    return found


def _described(policy: Policy, row: PolicyVersion) -> dict[str, Any]:
    """What the audit events of a version say of it."""
    return {
        "version": row.version,
        "sha256": row.sha256,
        "title": policy.title,
        "document_number": policy.document_number,
        "effective_from": policy.effective_from.isoformat(),
        "effective_to": policy.effective_to.isoformat() if policy.effective_to else None,
        "programs": [program.code for program in policy.programs],
    }


# --- the versions in force --------------------------------------------------------------------


def _published_rows() -> list[Any]:
    """The published versions' ids, numbers and hashes: read once per HTTP request.

    Matching reads the policies' terms once per shift it scores; the request's answer must not
    cost a query each. Outside a request (an evaluation, a job) every call reads afresh.
    """
    if not has_request_context():
        return _read_published_rows()
    rows: list[Any] | None = request.environ.get(_MEMO)
    if rows is None:
        rows = request.environ[_MEMO] = _read_published_rows()
    return rows


def _forget_published_rows() -> None:
    """After a change of what is published, this request reads it again."""
    if has_request_context():
        request.environ.pop(_MEMO, None)


def _read_published_rows() -> list[Any]:
    return list(
        db.session.execute(
            select(
                PolicyVersion.id,
                PolicyVersion.policy_id,
                PolicyVersion.version,
                PolicyVersion.city,
                PolicyVersion.sha256,
            )
            .where(PolicyVersion.status == "published")
            .order_by(PolicyVersion.policy_id)
        )
    )


def seed_code_versions(stored: set[str] | None = None) -> int:
    """Store each code file whose policy has no version yet as its version 1, published, with
    its ``policy.published`` event; answers how many. ``stored``: the ids known to have versions.
    """
    if stored is None:
        stored = set(db.session.scalars(select(PolicyVersion.policy_id).distinct()))
    seeded = 0
    for policy, content in code_files():
        if policy.id in stored:
            continue
        now = clock.now()
        row = PolicyVersion(
            policy_id=policy.id,
            version=1,
            city=policy.city,
            status="published",
            content=content.decode("utf-8"),
            sha256=digest(content),
            created_at=now,
            published_at=now,
        )
        try:
            # A savepoint: when another process stores the same file first, only this insert is
            # undone and the caller's transaction goes on.
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            continue
        audit.record(
            "policy.published",
            "policy",
            policy.id,
            {**_described(policy, row), "supersedes": None, "file": f"{policy.id}.toml"},
            city=policy.city,
        )
        seeded += 1
    if seeded:
        _forget_published_rows()
    return seeded


def published(city: str | None = None, *, seed: bool = False) -> tuple[Policy, ...]:
    """The published version of every policy (of ``city``), oldest first, each with its number.

    ``seed``: first store the code's files that have no version yet (a writing transaction only).
    """
    rows = _published_rows()
    stored = {row.policy_id for row in rows}
    if seed and any(policy.id not in stored for policy, _ in code_files()):
        seed_code_versions()
        rows = _published_rows()
        stored = {row.policy_id for row in rows}
    rows = [row for row in rows if city is None or row.city == city]
    unread = [row.id for row in rows if row.sha256 not in _parsed]
    if unread:
        for sha256, content in db.session.execute(
            select(PolicyVersion.sha256, PolicyVersion.content).where(PolicyVersion.id.in_(unread))
        ):
            _policy_of(sha256, content)
    found = [dataclasses.replace(_parsed[row.sha256], version=row.version) for row in rows]
    # A code file not stored yet is its policy's version 1.
    found += [
        dataclasses.replace(policy, version=1)
        for policy, _ in code_files()
        if policy.id not in stored and (city is None or policy.city == city)
    ]
    return tuple(sorted(found, key=lambda policy: (policy.effective_from, policy.id)))


def published_policy(policy_id: str) -> Policy | None:
    """The published version of ``policy_id``, or None when it has none."""
    return next((policy for policy in published() if policy.id == policy_id), None)


# --- drafts -----------------------------------------------------------------------------------


def _versions(policy_id: str, *, lock: bool = False) -> list[PolicyVersion]:
    query = (
        select(PolicyVersion)
        .where(PolicyVersion.policy_id == policy_id)
        .order_by(PolicyVersion.version)
    )
    if lock:
        # Every version of the policy, in one order, so that two publishers take turns.
        query = query.with_for_update()
    return list(db.session.scalars(query))


def create_draft(user: User, content: bytes) -> tuple[PolicyVersion, Policy]:
    """Store an uploaded policy file as a draft: the next version of its policy, or version 1
    of a new one. 422 naming the line of every problem; the draft's SHA-256 is audited."""
    text, policy = upload.read(content)
    seed_code_versions()
    existing = _versions(policy.id, lock=True)
    if existing and existing[-1].city != policy.city:
        raise upload.refuse_key(
            text,
            ("city",),
            Message(
                N_("policy %(policy)s is a policy of %(city)s: a new version keeps its city"),
                policy=policy.id,
                city=existing[-1].city,
            ),
        )
    row = PolicyVersion(
        policy_id=policy.id,
        version=(existing[-1].version + 1) if existing else 1,
        city=policy.city,
        status="draft",
        content=text,
        sha256=digest(content),
        created_at=clock.now(),
        created_by=user.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # Another upload of the same policy took this number first (SQLite's writer lock and the
        # unique version number are what order them).
        raise Conflict(
            "another version of policy %(policy)s was uploaded at the same moment: send it again",
            policy=policy.id,
        ) from None
    audit.record(
        "policy.drafted",
        "policy",
        policy.id,
        {**_described(policy, row), "city": policy.city},
        actor_id=user.id,
        city=policy.city,
    )
    _parsed.setdefault(row.sha256, policy)
    return row, dataclasses.replace(policy, version=row.version)


# --- reading versions -------------------------------------------------------------------------


def _visible(user: User, policy_id: str) -> list[PolicyVersion]:
    """The versions of a policy ``user`` (official or admin) may see; another city's: 404."""
    seed_code_versions()
    rows = _versions(policy_id)
    if not rows or (user.role == "official" and user.city != rows[0].city):
        raise NotFound(N_("policy"))
    return rows


def list_versions(user: User, policy_id: str) -> list[PolicyVersion]:
    """Every version of a policy, oldest first (officials: of their city's policies only)."""
    return _visible(user, policy_id)


def version_file(user: User, policy_id: str, version: int) -> str:
    """The text of one version of a policy, as it was uploaded."""
    for row in _visible(user, policy_id):
        if row.version == version:
            return row.content
    raise NotFound(N_("policy version"))


def version_policy(row: PolicyVersion) -> Policy:
    """The policy a stored version's text says, with its version number."""
    return dataclasses.replace(_policy_of(row.sha256, row.content), version=row.version)


# --- publication ------------------------------------------------------------------------------


def _check_publishable(target: PolicyVersion, current: PolicyVersion | None) -> None:
    if target.status == "published":
        raise Conflict("version %(version)s is already published", version=target.version)
    if target.status == "superseded":
        raise Conflict(
            "version %(version)s was superseded: upload its text again as a new draft to bring "
            "it back",
            version=target.version,
        )
    if current is not None and current.version > target.version:
        raise Conflict(
            "version %(version)s is older than the published version %(published)s: make a new "
            "draft from the published version instead",
            version=target.version,
            published=current.version,
        )


def publish(user: User, policy_id: str, version: int) -> tuple[PolicyVersion, Policy]:
    """Publish a draft: an official of the policy's city only. The version it replaces is
    superseded; both changes are audit events. The next evaluation follows it."""
    city = db.session.scalar(
        select(PolicyVersion.city).where(PolicyVersion.policy_id == policy_id).limit(1)
    )
    guards.official_of_city(
        user,
        city,
        N_(
            "only an official of the policy's city may publish it; the platform's admins "
            "upload drafts but never publish them"
        ),
        N_("policy"),
    )
    rows = _versions(policy_id, lock=True)
    target = next((row for row in rows if row.version == version), None)
    if target is None:
        raise NotFound(N_("policy version"))
    current = next((row for row in rows if row.status == "published"), None)
    _check_publishable(target, current)
    try:
        policy = version_policy(target)
    except PolicyFileError as error:
        # The code's programmes changed since the upload (a parameter renamed, say).
        raise Conflict(
            "version %(version)s no longer reads under the current rules: upload it again",
            {"toml": [str(problem.message) for problem in error.problems]},
            version=target.version,
        ) from None
    now = clock.now()
    if current is not None:
        current.status = "superseded"
        current.superseded_at = now
        # Flushed first: the database holds one published version a policy at every moment.
        db.session.flush()
    target.status = "published"
    target.published_at = now
    target.published_by = user.id
    db.session.flush()
    _forget_published_rows()
    previous = None if current is None else {"version": current.version, "sha256": current.sha256}
    if current is not None:
        audit.record(
            "policy.superseded",
            "policy",
            policy_id,
            {"version": current.version, "sha256": current.sha256, "by_version": target.version},
            actor_id=user.id,
            city=target.city,
        )
    audit.record(
        "policy.published",
        "policy",
        policy_id,
        {**_described(policy, target), "supersedes": previous},
        actor_id=user.id,
        city=target.city,
    )
    return target, policy


def shown(row: PolicyVersion) -> dict[str, Any]:
    """A version as ``GET …/versions`` lists it."""
    return {
        "policy_id": row.policy_id,
        "version": row.version,
        "status": row.status,
        "city": row.city,
        "sha256": row.sha256,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "published_at": row.published_at,
        "superseded_at": row.superseded_at,
    }


def stamped(policy: Policy, row: PolicyVersion) -> dict[str, Any]:
    """A version as its policy with its status and stamps (the upload's 201, the publication's)."""
    return {**to_api(policy), **shown(row)}
