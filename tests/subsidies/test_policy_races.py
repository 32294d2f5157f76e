"""Two officials publishing at the same instant: one wins, one version is published at a time.

Committed for real on a database of its own (a SQLite file, whose writer lock orders the two, or
a schema of the PostgreSQL test database, where the policy's locked rows do), with threads
released together.
"""

from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.subsidies.models import PolicyVersion
from marketplace.subsidies.policy.catalogue import POLICY_DIR
from tests.conftest import SECRETS, committed_app, committed_token, together

pytestmark = pytest.mark.slow  # racing threads on a database of their own

SCHEMA = "policy_races"
POLICY = "wuxi-2021-26"
TEXT = (POLICY_DIR / f"{POLICY}.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    with committed_app(tmp_path_factory.mktemp("policy-races"), SCHEMA, SECRETS) as (app, _):
        yield app


def _draft(app: Flask, admin: str, text: str) -> int:
    response = app.test_client().post(
        "/api/v1/subsidies/policies",
        data=text.encode(),
        headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/toml"},
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["version"])


def _publish(app: Flask, token: str, version: int):
    client = app.test_client()
    path = f"/api/v1/subsidies/policies/{POLICY}/versions/{version}/publish"
    return lambda: client.post(path, headers={"Authorization": f"Bearer {token}"}).status_code


def _statuses(app: Flask) -> dict[int, str]:
    with app.app_context():
        rows = db.session.execute(
            select(PolicyVersion.version, PolicyVersion.status).where(
                PolicyVersion.policy_id == POLICY
            )
        ).all()
        db.session.remove()
    return dict(rows)  # type: ignore[arg-type]


def test_two_officials_publishing_one_draft_at_once_one_wins(live):
    admin = committed_token(live, "admin")
    version = _draft(live, admin, TEXT + "\n# 同一草稿\n")
    officials = [committed_token(live, "official", city="wuxi") for _ in range(2)]

    results = together([_publish(live, token, version) for token in officials])

    assert sorted(results) == [200, 409]
    statuses = _statuses(live)
    assert statuses[version] == "published"
    assert Counter(statuses.values())["published"] == 1


def test_two_drafts_published_at_once_leave_one_published(live):
    admin = committed_token(live, "admin")
    first = _draft(live, admin, TEXT + "\n# 草稿甲\n")
    second = _draft(live, admin, TEXT + "\n# 草稿乙\n")
    officials = [committed_token(live, "official", city="wuxi") for _ in range(2)]

    results = together([_publish(live, officials[0], first), _publish(live, officials[1], second)])

    statuses = _statuses(live)
    assert Counter(statuses.values())["published"] == 1
    # Whichever came first, the later number ends published: the older draft is refused (409)
    # once the newer is published, and supersedes nothing when it came first.
    assert statuses[second] == "published" and results[1] == 200
    assert statuses[first] in ("superseded", "draft")
