"""What the desk's policy pages show (issue #18): the policies and their versions, one version
beside the one in force parameter by parameter, and its simulation as figures and charts.

The versions, their publication and the simulation are the API's services
(``subsidies.policy.versions``, ``subsidies.evaluation.simulation``); this module only lays
them side by side for a page. The simulation writes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import zip_longest
from typing import Any

from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.desk import charts
from marketplace.errors import N_, Conflict, NotFound
from marketplace.extensions import db
from marketplace.subsidies.evaluation import simulation
from marketplace.subsidies.models import PolicyVersion
from marketplace.subsidies.policy import labels, versions
from marketplace.subsidies.policy.definition import DatedValue, Parameter, Policy
from marketplace.subsidies.policy.files import PolicyFileError
from marketplace.subsidies.rules import programs

STATUS_NAMES = {"draft": "草稿", "published": "已发布", "superseded": "已被取代"}
POLICY_WIDE = "政策通用"
SHORT_HASH = 12  # the characters of a SHA-256 a list shows (the whole one is in its title)


@dataclass(frozen=True)
class PolicyLine:
    """A policy of the list: its latest version's title and document number, and its versions."""

    policy_id: str
    city: str
    title: str
    document_number: str
    versions: list[PolicyVersion]


def _read(row: PolicyVersion) -> Policy:
    """The policy a version's text says; 409 when it no longer reads under the current rules."""
    try:
        return versions.version_policy(row)
    except PolicyFileError as error:
        raise Conflict(
            "version %(version)s no longer reads under the current rules: upload it again",
            {"toml": [str(problem.message) for problem in error.problems]},
            version=row.version,
        ) from None


def policy_list(user: User) -> list[PolicyLine]:
    """The policies of the official's city (admins: every city's), each with its versions."""
    versions.seed_code_versions()  # the code's files are version 1, as the API's list stores them
    query = select(PolicyVersion).order_by(PolicyVersion.city, PolicyVersion.policy_id)
    if user.role != "admin":
        query = query.where(PolicyVersion.city == user.city)
    grouped: dict[str, list[PolicyVersion]] = {}
    for row in db.session.scalars(query.order_by(PolicyVersion.version)):
        grouped.setdefault(row.policy_id, []).append(row)
    lines = []
    for policy_id, rows in grouped.items():
        try:
            latest = versions.version_policy(rows[-1])
            title, number = latest.title, latest.document_number
        except PolicyFileError:
            title, number = "（已无法按现行规则读取）", "—"
        lines.append(PolicyLine(policy_id, rows[-1].city, title, number, rows))
    return lines


# --- one version beside the one in force ------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One dated value of a parameter as an official reads it."""

    start: date
    value: str
    article: str


@dataclass(frozen=True)
class DiffRow:
    """A parameter's dated value in this version and in the compared one; ``changed`` marks a
    difference of value or article (or of date, between versions of the same policy)."""

    scope: str  # the programme's name, or 政策通用
    label: str
    this: Side | None
    other: Side | None
    changed: bool


def _side(parameter: Parameter, entry: DatedValue | None) -> Side | None:
    if entry is None:
        return None
    return Side(entry.start, labels.shown(parameter.unit, entry.value), entry.article)


def _scopes(policy: Policy | None) -> dict[str, dict[str, Parameter]]:
    """The parameters of a policy by scope ("" for the policy's own, else a programme's code)."""
    if policy is None:
        return {}
    found = {"": {parameter.name: parameter for parameter in policy.parameters}}
    for program in policy.programs:
        found[program.code] = {parameter.name: parameter for parameter in program.parameters}
    return found


def diff(this: Policy, other: Policy | None) -> list[DiffRow]:
    """A row per parameter and dated value (the n-th value of a parameter beside the other's
    n-th): the policy's own parameters, then each programme's. Nothing to compare: no marks."""
    same_policy = other is not None and other.id == this.id
    mine, theirs = _scopes(this), _scopes(other)
    names = programs.names()
    rows = []
    for scope in [*mine, *(scope for scope in theirs if scope not in mine)]:
        ours, others = mine.get(scope, {}), theirs.get(scope, {})
        for name in [*ours, *(name for name in others if name not in ours)]:
            here, there = ours.get(name), others.get(name)
            pairs = zip_longest(
                here.values if here else (), there.values if there else (), fillvalue=None
            )
            for entry, counterpart in pairs:
                left = _side(here, entry) if here else None
                right = _side(there, counterpart) if there else None
                changed = other is not None and (
                    left is None
                    or right is None
                    or (left.value, left.article) != (right.value, right.article)
                    or (same_policy and left.start != right.start)
                )
                rows.append(
                    DiffRow(
                        names.get(scope, POLICY_WIDE) if scope else POLICY_WIDE,
                        labels.label(name),
                        left,
                        right,
                        changed,
                    )
                )
    return rows


def _predecessor(policy: Policy) -> Policy | None:
    """The city's published policy a new one obviously succeeds: the only one of another id
    that ended the day before it begins; else None."""
    ending = [
        found
        for found in versions.published(policy.city)
        if found.id != policy.id
        and found.effective_to is not None
        and found.effective_to + timedelta(days=1) == policy.effective_from
    ]
    return ending[0] if len(ending) == 1 else None


@dataclass(frozen=True)
class VersionPage:
    """A version of a policy beside the one in force, its simulation and charts."""

    row: PolicyVersion
    policy: Policy
    compared: Policy | None
    succeeds: bool  # compared with the policy it succeeds, not a version of its own
    rows: list[DiffRow]
    simulated: dict[str, Any]
    drawn: list[charts.Chart]
    publishable: bool  # an official of the city and a draft: the publish button shows

    @property
    def changes(self) -> int:
        """How many rows differ."""
        return sum(row.changed for row in self.rows)


def _charts(simulated: dict[str, Any]) -> list[charts.Chart]:
    names = programs.names()
    return [
        charts.bars(
            "各项目补贴金额（元）",
            [
                (names.get(code, code), Decimal(total["amount"]))
                for code, total in simulated["by_program"].items()
            ],
            places=2,
        ),
        charts.columns(
            "各月补贴金额（元）",
            [
                (month or "未定", Decimal(total["amount"]))
                for month, total in simulated["by_month"].items()
            ],
        ),
    ]


def version_page(user: User, policy_id: str, version: int) -> VersionPage:
    """One version beside the published one (or the policy it succeeds), simulated as of today
    in the city (writing nothing). Another city's policy: 404, as the API answers."""
    rows = versions.list_versions(user, policy_id)
    row = next((found for found in rows if found.version == version), None)
    if row is None:
        raise NotFound(N_("policy version"))
    policy = _read(row)
    current = versions.published_policy(policy_id)
    compared = current if current is not None else _predecessor(policy)
    simulated = simulation.simulate(user, policy_id, version, None)
    return VersionPage(
        row=row,
        policy=dataclasses.replace(policy, version=row.version),
        compared=compared,
        succeeds=current is None and compared is not None,
        rows=diff(policy, compared),
        simulated=simulated,
        drawn=_charts(simulated),
        publishable=user.role == "official" and row.status == "draft",
    )
