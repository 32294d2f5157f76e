"""Run the TOML case files of tests/subsidies/cases (in the style of OpenFisca's YAML tests).

A file holds ``[[case]]`` tables: ``name``, ``policy``, ``as_of``, optional ``later_as_of`` (days on
which the proposals made on ``as_of`` must come out again unchanged), ``[case.worker]`` (the facts)
and ``expected`` (the proposals, in order; ``expected = []`` for none). Months may be written as
ranges, ``"2026-01..2026-06"``, both in the facts and in expected ``months``.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from marketplace.common.months import Month, months_between
from marketplace.subsidies.policy.catalogue import policy
from marketplace.subsidies.rules import programs
from marketplace.subsidies.rules.facts import (
    EmploymentRegistration,
    ExistingFlag,
    FlagProposal,
    Premium,
    TrainingRecord,
    WorkerFacts,
)

CASES = Path(__file__).with_name("cases")


@dataclass(frozen=True)
class Case:
    """One case of a case file."""

    name: str
    program: str
    raw: Mapping[str, Any]


LATIN = re.compile("[A-Za-z]")


def months(text: str) -> list[Month]:
    """``"2026-01"`` or ``"2026-01..2026-06"`` as the months it names."""
    first, _, last = text.partition("..")
    return list(months_between(Month.parse(first), Month.parse(last or first)))


def load(program: str) -> list[Any]:
    """The cases of ``cases/<program>.toml`` as pytest params, with ``<program>/<name>`` ids."""
    with (CASES / f"{program}.toml").open("rb") as handle:
        raw = tomllib.load(handle)
    names = [case["name"] for case in raw["case"]]
    assert len(names) == len(set(names)), "case names must be unique"
    return [
        pytest.param(Case(c["name"], program, c), id=f"{program}/{c['name']}") for c in raw["case"]
    ]


def _by_month(raw: Mapping[str, Any], convert: Any) -> dict[Month, Any]:
    # Later entries override earlier ones, so a range can be given an exception after it.
    result: dict[Month, Any] = {}
    for text, value in raw.items():
        for month in months(text):
            result[month] = convert(value)
    return result


def facts(case: Case) -> WorkerFacts:
    """The worker facts of a case (city defaults to the policy's, resident to true)."""
    worker = dict(case.raw.get("worker", {}))
    policy_id = case.raw["policy"]
    return WorkerFacts(
        worker_id=worker.get("worker_id", 1),
        city=worker.get("city", policy(policy_id).city),
        resident=worker.get("resident", True),
        unemployment_registered_on=worker.get("unemployment_registered_on"),
        difficulty_certified_on=worker.get("difficulty_certified_on"),
        graduated_on=worker.get("graduated_on"),
        income=_by_month(worker.get("income", {}), Decimal),
        premiums=_by_month(
            worker.get("premiums", {}),
            lambda p: Premium(Decimal(p["pension"]), Decimal(p["medical"])),
        ),
        training=[
            TrainingRecord(r["key"], r["course"], Decimal(r["class_hours"]), r["completed_on"])
            for r in worker.get("training", [])
        ],
        employment_registrations=[
            EmploymentRegistration(r.get("form", "flexible"), r["started_on"], r.get("ended_on"))
            for r in worker.get("employment_registrations", [])
        ],
        existing_flags=[
            ExistingFlag(
                program=f.get("program", case.program),
                policy_id=f.get("policy_id", policy_id),
                key=f["key"],
                status=f["status"],
                amount=Decimal(f["amount"]) if "amount" in f else None,
            )
            for f in worker.get("existing_flags", [])
        ],
    )


def _expected(case: Case) -> Iterator[tuple[dict[str, Any], Mapping[str, Any]]]:
    for entry in case.raw["expected"]:
        if "months" in entry:  # one flag per month, keyed by the month
            for month in months(entry["months"]):
                yield {"key": str(month), "period": str(month), **entry}, entry
        else:
            yield dict(entry), entry


def _period(proposal: FlagProposal) -> str | None:
    if proposal.period_start is None:
        return None
    if proposal.period_start == proposal.period_end:
        return str(proposal.period_start)
    return f"{proposal.period_start}..{proposal.period_end}"


def evaluate(case: Case, as_of: date | None = None) -> list[FlagProposal]:
    """The programme's proposals for the case's worker."""
    module = programs.get(case.program)
    return module.evaluate(facts(case), policy(case.raw["policy"]), as_of or case.raw["as_of"])


def check(case: Case) -> None:
    """Evaluate a case and compare with what it expects; also the properties every case has."""
    proposals = evaluate(case)
    expected = list(_expected(case))
    got = [(p.key, str(p.amount), _period(p)) for p in proposals]
    want = [(e["key"], e["amount"], e.get("period")) for e, _ in expected]
    assert got == want
    the_policy = policy(case.raw["policy"])
    program = the_policy.program(case.program)
    assert program is not None
    for proposal, (entry, _) in zip(proposals, expected, strict=True):
        assert proposal.program == case.program
        assert proposal.policy_id == the_policy.id
        assert proposal.beneficiary == program.beneficiary
        for name, value in entry.get("evidence", {}).items():
            assert proposal.evidence.get(name) == value, name
        for line in entry.get("explanation", []):
            assert line in proposal.explanation
        # An official can check the flag: the rule's document and article are quoted, and the
        # evidence is plain JSON.
        rule = f"{the_policy.document_number} {program.rule}"
        assert proposal.explanation[0].startswith(f"规则：{rule}")
        assert all(isinstance(line, str) and line for line in proposal.explanation)
        # Officials read Chinese: no identifier, code or English gloss in what they read.
        latin = [line for line in proposal.explanation if LATIN.search(line)]
        assert not latin, latin
        json.dumps(proposal.evidence)
    # Idempotent: the same facts give the same proposals.
    assert evaluate(case) == proposals
    # A later day never changes what an earlier day proposed.
    for later in case.raw.get("later_as_of", []):
        assert later > case.raw["as_of"]
        later_by_key = {p.key: p for p in evaluate(case, later)}
        for proposal in proposals:
            assert later_by_key.get(proposal.key) == proposal, (later, proposal.key)
