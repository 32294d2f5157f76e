"""Publishing the policy files: each new version of a file is one ``policy.published`` event.

A policy changes by editing its file (a new dated value, a corrected article); the rules read the
file when the process starts. So the first time a process serves or evaluates under a version of a
file — known by the SHA-256 of its content — that version is recorded and published to the audit
log, with the hash of the version it follows. Every state change of a policy is then an event, and
a flag can be traced to the exact text of the rules it was raised under.
"""

from __future__ import annotations

import hashlib
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.extensions import db
from marketplace.subsidies.models import PolicyVersion
from marketplace.subsidies.policy.catalogue import POLICY_DIR, Policy, load_policies


@cache
def content_hash(policy_id: str) -> str:
    """The SHA-256 of the file of ``policy_id`` as this process loaded it."""
    return hashlib.sha256((POLICY_DIR / f"{policy_id}.toml").read_bytes()).hexdigest()


def _publish(policy: Policy, digest: str) -> bool:
    previous = db.session.scalar(
        select(PolicyVersion.content_hash)
        .where(PolicyVersion.policy_id == policy.id)
        .order_by(PolicyVersion.first_seen_at.desc(), PolicyVersion.id.desc())
        .limit(1)
    )
    try:
        # A savepoint: when another process publishes the same version first, only this
        # insert is undone and the caller's transaction goes on.
        with db.session.begin_nested():
            db.session.add(
                PolicyVersion(
                    policy_id=policy.id,
                    city=policy.city,
                    content_hash=digest,
                    first_seen_at=clock.now(),
                )
            )
    except IntegrityError:
        return False
    audit.record(
        "policy.published",
        "policy",
        policy.id,
        {
            "content_hash": digest,
            "previous_hash": previous,
            "file": f"{policy.id}.toml",
            "title": policy.title,
            "document_number": policy.document_number,
            "effective_from": policy.effective_from.isoformat(),
            "effective_to": policy.effective_to.isoformat() if policy.effective_to else None,
            "programs": [program.code for program in policy.programs],
        },
        city=policy.city,
    )
    return True


def publish_new_versions() -> int:
    """Record and publish every loaded policy version not seen before; answers how many.

    One query when nothing is new, which is every call but the first after a file changed.
    """
    policies = load_policies()
    known = set(db.session.execute(select(PolicyVersion.policy_id, PolicyVersion.content_hash)))
    published = 0
    for policy in policies:
        digest = content_hash(policy.id)
        if (policy.id, digest) not in known:
            published += _publish(policy, digest)
    return published
