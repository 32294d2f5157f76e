"""Subsidy policies as data: the files of ``policies/``, loaded once, and their API shape.

A new city, policy or value is a new file or row in ``policies/`` (one ``<id>.toml`` a policy);
``files`` checks each file strictly and ``definition`` holds the types.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from marketplace.errors import N_, Message
from marketplace.subsidies.policy import labels
from marketplace.subsidies.policy.definition import DatedValue, Parameter, Policy, Program, Value
from marketplace.subsidies.policy.files import UNITS, PolicyFileError, Problem, parse_policy

__all__ = [
    "POLICY_DIR",
    "UNITS",
    "DatedValue",
    "Parameter",
    "Policy",
    "PolicyFileError",
    "Program",
    "Value",
    "api_value",
    "load_policies",
    "policies_for_city",
    "policy",
    "to_api",
]

POLICY_DIR = Path(__file__).parent.parent / "policies"


@cache
def load_policies(directory: Path = POLICY_DIR) -> tuple[Policy, ...]:
    """Every policy in ``directory`` (one ``<id>.toml`` each), by id; PolicyFileError if invalid."""
    policies = []
    for path in sorted(directory.glob("*.toml")):
        try:
            with path.open("rb") as handle:
                raw = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            problem = Problem((), Message(N_("not valid TOML: %(reason)s"), reason=str(error)))
            raise PolicyFileError(path.name, [problem]) from None
        loaded = parse_policy(raw, path.name)
        # The file name is the id, so a policy is found by looking at the directory.
        if loaded.id != path.stem:
            problem = Problem(
                ("id",),
                Message(N_("id %(id)s must match the file name"), id=repr(loaded.id)),
            )
            raise PolicyFileError(path.name, [problem])
        policies.append(loaded)
    return tuple(policies)


def policy(policy_id: str) -> Policy:
    """The policy with ``policy_id``; KeyError when there is none."""
    for candidate in load_policies():
        if candidate.id == policy_id:
            return candidate
    raise KeyError(f"no policy {policy_id!r}")


def policies_for_city(city: str) -> tuple[Policy, ...]:
    """The policies of ``city``, oldest first."""
    return tuple(
        sorted((p for p in load_policies() if p.city == city), key=lambda p: p.effective_from)
    )


# --- API ---------------------------------------------------------------------------------------


def api_value(value: Value) -> str | int | bool:
    """A parameter value as JSON: amounts and rates as exact strings, counts as numbers."""
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def _api_parameters(parameters: tuple[Parameter, ...]) -> dict[str, Any]:
    return {
        parameter.name: {
            "label": labels.label(parameter.name),
            "unit": parameter.unit,
            "values": [
                {
                    "from": entry.start.isoformat(),
                    "value": api_value(entry.value),
                    "article": entry.article,
                }
                for entry in parameter.values
            ],
        }
        for parameter in parameters
    }


def to_api(policy: Policy) -> dict[str, Any]:
    """The policy as an item of ``GET /subsidies/policies`` (API.md "Subsidies and audit")."""
    return {
        "id": policy.id,
        "version": policy.version,
        "city": policy.city,
        "title": policy.title,
        "document_number": policy.document_number,
        "effective_from": policy.effective_from.isoformat(),
        "effective_to": policy.effective_to.isoformat() if policy.effective_to else None,
        "programs": [
            {
                "code": program.code,
                "beneficiary": program.beneficiary,
                "parameters": _api_parameters(program.parameters),
            }
            for program in policy.programs
        ],
    }
