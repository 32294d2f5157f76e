"""The subsidy programmes, one module each: a new programme is a new file here.

A programme module exposes ``CODE`` (the code policy files and flags use), ``NAME`` (the name
officials read), ``PARAMETERS`` (the parameters it reads, name → unit),
``OPTIONAL_PARAMETER_GROUPS`` (groups a policy may leave out as a whole) and
``evaluate(facts, policy, as_of) -> list[FlagProposal]``, a pure function. Modules whose name
starts with ``_`` are helpers, not programmes. The list of programmes the API and the desk offer
(``codes``, ``names``) is this registry: a programme exists when its file does.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Protocol, cast

from marketplace.subsidies.policy.catalogue import Policy
from marketplace.subsidies.rules.facts import FlagProposal, WorkerFacts


class ProgramModule(Protocol):
    """What a programme module provides."""

    CODE: str
    NAME: str
    PARAMETERS: Mapping[str, str]
    OPTIONAL_PARAMETER_GROUPS: tuple[frozenset[str], ...]

    def evaluate(self, facts: WorkerFacts, policy: Policy, as_of: date) -> list[FlagProposal]:
        """The flags the programme proposes for the worker under the policy, as of a day."""
        ...


@cache
def registry() -> Mapping[str, ProgramModule]:
    """Every programme module of this package, by code."""
    found: dict[str, ProgramModule] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for attribute in ("CODE", "NAME", "PARAMETERS", "OPTIONAL_PARAMETER_GROUPS", "evaluate"):
            if not hasattr(module, attribute):
                raise TypeError(f"programme module {module.__name__} has no {attribute}")
        program = cast(ProgramModule, module)
        if program.CODE in found:
            raise TypeError(f"two programme modules have the code {program.CODE!r}")
        found[program.CODE] = program
    return found


def get(code: str) -> ProgramModule:
    """The programme module with ``code``; KeyError when there is none."""
    return registry()[code]


def codes() -> tuple[str, ...]:
    """The codes of every programme, in the registry's (file name) order."""
    return tuple(registry())


def names() -> dict[str, str]:
    """Each programme's name as officials read it, by code."""
    return {code: module.NAME for code, module in registry().items()}
