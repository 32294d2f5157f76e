"""Evaluate a worker under every programme of every policy of their city."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from marketplace.subsidies.policy.catalogue import Policy
from marketplace.subsidies.rules import programs
from marketplace.subsidies.rules.facts import FlagProposal, WorkerFacts


def evaluate_worker(
    facts: WorkerFacts, policies: Iterable[Policy], as_of: date
) -> list[FlagProposal]:
    """Every flag the rules propose for the worker as of ``as_of``.

    Runs each programme of each policy of the worker's city, in the order of the policies and of
    the programmes in their files. Pure and idempotent: the same facts and day give the same list.
    Policies of other cities are skipped, so callers may pass ``load_policies()`` as it is.
    """
    proposals: list[FlagProposal] = []
    for policy in policies:
        if policy.city != facts.city:
            continue
        for program in policy.programs:
            proposals.extend(programs.get(program.code).evaluate(facts, policy, as_of))
    return proposals
