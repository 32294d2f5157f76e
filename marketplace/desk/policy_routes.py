"""The desk's policy versions (issue #18): the city's policies and their versions, and one
version beside the one in force with its simulation and, for a draft, the publish button.

Publication goes through the API's service (``versions.publish``): the same rules, the same
audit events, the same superseding. Admins upload drafts through the API but never publish
(403); another city's policy is not found (404).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for

from marketplace.desk import policies
from marketplace.desk.blueprint import blp
from marketplace.desk.session import current_official, sign_in_required
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.subsidies.policy import versions


@blp.get("/policies")
@sign_in_required
def policies_page() -> Any:
    """The policies of the official's city (admins: all) with their versions."""
    return render_template(
        "desk/policies.html",
        lines=policies.policy_list(current_official()),
        status_names=policies.STATUS_NAMES,
        short=policies.SHORT_HASH,
    )


def _version_page(
    policy_id: str, version: int, error: str | None = None, status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "desk/policy_version.html",
        page=policies.version_page(current_official(), policy_id, version),
        status_names=policies.STATUS_NAMES,
        short=policies.SHORT_HASH,
        error=error,
    )
    return page, status


@blp.get("/policies/<policy_id>/versions/<int:version>")
@sign_in_required
def policy_version(policy_id: str, version: int) -> Any:
    """A version beside the published one, parameter by parameter, and its simulation."""
    return _version_page(policy_id, version)


@blp.post("/policies/<policy_id>/versions/<int:version>/publish")
@sign_in_required
def publish_version(policy_id: str, version: int) -> Any:
    """Publish a draft (an official of the policy's city); refused, nothing changes."""
    try:
        _row, policy = versions.publish(current_official(), policy_id, version)
    except Conflict as error:
        db.session.rollback()
        return _version_page(policy_id, version, error.translated(), 409)
    flash(f"《{policy.title}》第 {version} 版已发布，此后的评估按此版本进行。")
    return redirect(url_for("desk.policy_version", policy_id=policy_id, version=version), code=303)
