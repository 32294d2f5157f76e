"""HTTP endpoints of living policies: the policies in force, versions uploaded and published,
and the minimum wages admins add to a city's catalogue (API.md v1.1 "Living policies").

A policy file travels as itself — its TOML text, ``Content-Type: application/toml`` — so that the
file an admin edits is the file stored, hashed and served back byte for byte.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.database import writes_on_read
from marketplace.errors import N_, UnsupportedMediaType
from marketplace.subsidies import services
from marketplace.subsidies.evaluation import simulation
from marketplace.subsidies.policy import versions, wages
from marketplace.subsidies.policy.catalogue import POLICY_DIR
from marketplace.subsidies.schemas import (
    MINIMUM_WAGE_EXAMPLE,
    SIMULATION_EXAMPLE,
    AddedMinimumWageSchema,
    MinimumWageInSchema,
    PolicySchema,
    PolicyVersionSchema,
    SimulationInSchema,
    SimulationSchema,
)

blp = Blueprint(
    "policies",
    __name__,
    url_prefix="/api/v1",
    description="Subsidy policies as data: versions, publication, minimum wages",
)

TOML = "application/toml"
# The example of an upload: the file of 西宁's policy as the code holds it (valid as it is; a
# new version starts from the text of the one before, GET …/versions/{version}/file).
_EXAMPLE = (POLICY_DIR / "xining-2021-33.toml").read_text(encoding="utf-8")
TOML_BODY = {
    "required": True,
    "description": "The policy file's text, UTF-8, as the files of the code are written: "
    "`id`, `city`, `title`, `document_number`, `effective_from`, `effective_to`?, "
    "`[parameters.<name>]` and `[programs.<code>.parameters.<name>]`, each parameter with "
    "its `unit` and dated `values` (`from`, `value`, `article`).",
    "content": {TOML: {"schema": {"type": "string"}, "example": _EXAMPLE}},
}
TOML_FILE = {
    "200": {
        "description": "the version's file, byte for byte as it was uploaded",
        "content": {TOML: {"schema": {"type": "string"}}},
    }
}


def _toml_body() -> bytes:
    """The request's body, which must be sent as a policy file (415 otherwise)."""
    if request.mimetype != TOML:
        raise UnsupportedMediaType(
            N_("send the policy file's text with Content-Type: %(type)s"), type=TOML
        )
    return request.get_data(cache=True)


@blp.route("/subsidies/policies")
class Policies(MethodView):
    """The subsidy policies, as data."""

    @blp.doc(security=[])
    @writes_on_read  # the code's files are stored as version 1 the first time they are read
    @blp.response(200, PolicySchema(many=True))
    def get(self):
        """List every policy in force: its published version, programmes and dated parameters.

        Anyone may call it, without a token; it takes no input and always answers 200. The
        subsidy rules as data: the published version of each policy of each city with its
        programmes and every amount, rate, threshold and date with the day from which it holds
        and the article it comes from. Drafts are not listed (``GET …/{id}/versions``).
        """
        return services.policies()

    @auth_required("admin")
    @idempotent
    @blp.doc(requestBody=TOML_BODY)
    @blp.response(201, PolicySchema)
    @blp.errors(400, 409, 413, 415, 422)
    def post(self):
        """Upload a policy file as a draft: a new version of a policy, or a new policy.

        Admins only (403 for every other role). The body is the policy file's text
        (``Content-Type: application/toml``), checked as strictly as the files of the code: it
        becomes the next version of the policy its ``id`` names (a new policy's version 1),
        with ``"status": "draft"``. A draft raises no flags until an official of the city
        publishes it. Its SHA-256 is an audit event (``policy.drafted``). Honours
        ``Idempotency-Key``. 415: another content type. 422: the file is invalid — every
        problem is listed in ``errors.toml`` as ``{"line", "column", "key", "message"}`` (the
        line of the key at fault), or a new version names another city than its policy's.
        409: another version of the policy was uploaded at the same moment.
        """
        row, policy = versions.create_draft(current_user(), _toml_body())
        return versions.stamped(policy, row)


@blp.route("/subsidies/policies/<policy_id>/versions")
class PolicyVersions(MethodView):
    """The versions of a policy."""

    @auth_required("official", "admin")
    @writes_on_read  # the code's files are stored as version 1 the first time they are read
    @blp.response(200, PolicyVersionSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    def get(self, policy_id: str, pagination_parameters: PaginationParameters):
        """List the versions of a policy, oldest first: draft, published or superseded.

        Officials of the policy's city and admins (403 for every other role). Each version with
        its number, status, the SHA-256 of its file and when it was uploaded and published;
        the files in the code are version 1, published. Paged with ``page`` and ``per_page``.
        404: no such policy, or one of another city.
        """
        rows = versions.list_versions(current_user(), policy_id)
        pagination_parameters.item_count = len(rows)
        first = pagination_parameters.first_item
        return [
            versions.shown(row) for row in rows[first : first + pagination_parameters.page_size]
        ]


@blp.route("/subsidies/policies/<policy_id>/versions/<int:version>/file")
class PolicyVersionFile(MethodView):
    """The file of one version."""

    @auth_required("official", "admin")
    @writes_on_read  # the code's files are stored as version 1 the first time they are read
    @blp.doc(responses=TOML_FILE)
    @blp.errors(404)
    def get(self, policy_id: str, version: int):
        """Download the file of a version, byte for byte, to start a new version from it.

        Officials of the policy's city and admins (403 for every other role). The policy file's
        text exactly as it was uploaded (``application/toml``); its SHA-256 is the version's
        ``sha256``. 404: no such policy or version, or a policy of another city.
        """
        text = versions.version_file(current_user(), policy_id, version)
        return Response(
            text.encode("utf-8"),
            content_type=TOML,
            headers={"Content-Disposition": f'attachment; filename="{policy_id}-v{version}.toml"'},
        )


@blp.route("/subsidies/policies/<policy_id>/versions/<int:version>/simulate")
class Simulate(MethodView):
    """Simulating a version."""

    @auth_required("official", "admin")
    @blp.arguments(SimulationInSchema, example=SIMULATION_EXAMPLE)
    @blp.response(200, SimulationSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], policy_id: str, version: int):
        """Simulate a version of a policy on the real records, writing nothing.

        Officials of the policy's city and admins (403 for every other role). Runs the version —
        a draft, or any version — over the city's records as of ``as_of`` (today in the city
        when left out) as an evaluation would, but stores nothing: no flag, notification or
        audit event. Answers how many flags it proposes and their amount (exact decimal
        strings), by programme, by month (a flag's period end month; a training flag's
        completion month) and by the worker's district, and ``compared_with_current``: what the
        published version of the same policy proposes on the same records and day (0 flags
        when the policy has none published). 404: no such policy or version, or a policy of
        another city. 409: the version no longer reads under the current rules. 422: ``as_of``
        before 2000 or more than a year after today in the city.
        """
        return simulation.simulate(current_user(), policy_id, version, body["as_of"])


@blp.route("/subsidies/policies/<policy_id>/versions/<int:version>/publish")
class Publish(MethodView):
    """Publishing a version."""

    @auth_required("official", "admin")
    @blp.response(200, PolicySchema)
    @blp.errors(404, 409)
    def post(self, policy_id: str, version: int):
        """Publish a draft of my city's policy: it raises the flags from now on.

        Only an official of the policy's city: other roles get 403, and so do admins, who
        upload drafts but never publish them. The version becomes ``published`` and the one it
        replaces ``superseded`` (audit events ``policy.published`` with the SHA-256, and
        ``policy.superseded``). The next evaluation of each worker follows it: pending flags
        take what it proposes (``flag.updated`` says what changed), decided ones never change.
        404: no such policy or version, or a policy of another city. 409: the version is
        already published or was superseded, or is older than the published one.
        """
        row, policy = versions.publish(current_user(), policy_id, version)
        return versions.stamped(policy, row)


@blp.route("/cities/<code>/minimum-wages")
class MinimumWages(MethodView):
    """Minimum wages added to a city's catalogue."""

    @auth_required("admin")
    @idempotent
    @blp.arguments(MinimumWageInSchema, example=MINIMUM_WAGE_EXAMPLE)
    @blp.response(201, AddedMinimumWageSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], code: str):
        """Add a minimum wage to a city from a date, with the notice that set it.

        Admins only (403 for every other role). Amounts are exact decimal strings
        (``"2800.00"``). The wage holds from ``effective_from`` until the next one, for the job
        wage check, the statistics and the subsidy rules (the next evaluation reads it); the
        row is an audit event. 404: no such city. 409: a wage of that day is already known, or
        the date would change decided flags — it is on or before the first day of the latest
        month a decided flag of the city covers (its threshold was read on that day). 422: an
        amount that is not above 0, or an hourly wage above the monthly one.
        """
        added = wages.add(
            current_user(),
            code,
            body["effective_from"],
            body["monthly"],
            body["hourly"],
            body["source"],
        )
        return {
            "city": code,
            "effective_from": added.effective_from,
            "monthly": added.monthly,
            "hourly": added.hourly,
            "source": added.source,
        }
