"""Reading policy files strictly: every field checked, every error naming its file and field.

A typo in a policy file must fail at start-up, not show up as a wrong subsidy months later. The
programmes say which parameters they read and in which unit (``rules/programs/<code>.py``), so a
file naming an unknown programme or parameter, or missing one, is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from marketplace.cities import catalogue
from marketplace.subsidies.policy import labels
from marketplace.subsidies.policy.definition import DatedValue, Parameter, Policy, Program, Value

BENEFICIARIES = frozenset({"platform", "worker"})

# Parameters of a policy as a whole (not of one programme), with their units.
POLICY_PARAMETERS: Mapping[str, str] = {
    "matching_priority_weight": "share",
    "matching_graduate_window_months": "months",
}

# References a `reference` parameter may name (values of the city catalogue, cities.toml) and the
# roundings a `rounding` parameter may name: those officials can read in words.
REFERENCES = frozenset(labels.REFERENCES)
_ROUNDINGS = frozenset(labels.ROUNDINGS)
_MONEY = re.compile(r"\d+\.\d{2}")
_DECIMAL = re.compile(r"\d+(\.\d+)?")
_FRACTION = re.compile(r"\d+/[1-9]\d*")


class PolicyFileError(ValueError):
    """A policy file that does not follow the format (the message names the file and field)."""


def _money(raw: object) -> Decimal:
    # Strings only: a TOML float would already have lost the exact amount.
    if not isinstance(raw, str) or not _MONEY.fullmatch(raw):
        raise ValueError(f"an amount must be a string with two decimals like '800.00', not {raw!r}")
    return Decimal(raw)


def _count(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError(f"must be a whole number ≥ 0, not {raw!r}")
    return raw


def _fraction(raw: object) -> Fraction:
    if not isinstance(raw, str) or not (_FRACTION.fullmatch(raw) or _DECIMAL.fullmatch(raw)):
        raise ValueError(f"a rate must be a string like '2/3' or '0.5', not {raw!r}")
    return Fraction(raw)


def _share(raw: object) -> Decimal:
    if not isinstance(raw, str) or not _DECIMAL.fullmatch(raw) or Decimal(raw) > 1:
        raise ValueError(f"a share must be a decimal string in [0, 1] like '0.10', not {raw!r}")
    return Decimal(raw)


def _boolean(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise ValueError(f"must be true or false, not {raw!r}")
    return raw


def _rounding(raw: object) -> str:
    if raw not in _ROUNDINGS:
        raise ValueError(f"must be one of {sorted(_ROUNDINGS)}, not {raw!r}")
    return str(raw)


def _reference(raw: object) -> str:
    if raw not in REFERENCES:
        raise ValueError(f"must be one of {sorted(REFERENCES)}, not {raw!r}")
    return str(raw)


UNITS: Mapping[str, Callable[[object], Value]] = {
    "CNY": _money,
    "CNY/class_hour": _money,
    "months": _count,
    "count": _count,
    "fraction": _fraction,
    "share": _share,
    "boolean": _boolean,
    "rounding": _rounding,
    "reference": _reference,
}


def _keys(where: str, raw: Mapping[str, Any], required: set[str], optional: set[str]) -> None:
    missing = sorted(required - raw.keys())
    unknown = sorted(raw.keys() - required - optional)
    if missing:
        raise PolicyFileError(f"{where}: missing {', '.join(missing)}")
    if unknown:
        raise PolicyFileError(f"{where}: unknown {', '.join(unknown)}")


def _table(where: str, raw: object) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise PolicyFileError(f"{where}: must be a table")
    return raw


def _day(where: str, raw: object) -> date:
    # tomllib gives datetime (a date subclass) for date-times; a policy date is a plain date.
    if type(raw) is not date:
        raise PolicyFileError(f"{where}: must be a date like 2021-05-31, not {raw!r}")
    return raw


def _text(where: str, raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise PolicyFileError(f"{where}: must be a non-empty string")
    return raw


def _parameter(where: str, name: str, raw: object, unit: str, starts_by: date) -> Parameter:
    table = _table(where, raw)
    _keys(where, table, {"unit", "values"}, set())
    if table["unit"] != unit:
        raise PolicyFileError(f"{where}: unit must be {unit!r}, not {table['unit']!r}")
    rows = table["values"]
    if not isinstance(rows, list) or not rows:
        raise PolicyFileError(f"{where}: values must be a non-empty list")
    values: list[DatedValue] = []
    for index, row in enumerate(rows):
        at = f"{where}.values[{index}]"
        entry = _table(at, row)
        _keys(at, entry, {"from", "value", "article"}, set())
        start = _day(f"{at}.from", entry["from"])
        if values and start <= values[-1].start:
            raise PolicyFileError(
                f"{at}.from: dates must increase ({start} after {values[-1].start})"
            )
        try:
            value = UNITS[unit](entry["value"])
        except ValueError as error:
            raise PolicyFileError(f"{at}.value: {error}") from None
        values.append(DatedValue(start, value, _text(f"{at}.article", entry["article"])))
    if values[0].start > starts_by:
        raise PolicyFileError(f"{where}: no value on the policy's first day {starts_by}")
    return Parameter(name, unit, tuple(values))


def _parameters(
    where: str, raw: object, units: Mapping[str, str], names: set[str], starts_by: date
) -> tuple[Parameter, ...]:
    table = _table(where, raw)
    unknown = sorted(table.keys() - units.keys())
    if unknown:
        raise PolicyFileError(f"{where}: unknown parameter {', '.join(unknown)}")
    missing = sorted(names - table.keys())
    if missing:
        raise PolicyFileError(f"{where}: missing parameter {', '.join(missing)}")
    return tuple(
        _parameter(f"{where}.{name}", name, value, units[name], starts_by)
        for name, value in table.items()
    )


def _program(where: str, code: str, raw: object, starts_by: date) -> Program:
    # Imported at call time: the programme modules import the policy types, which import this.
    from marketplace.subsidies.rules import programs

    module = programs.registry().get(code)
    if module is None:
        known = ", ".join(sorted(programs.registry()))
        raise PolicyFileError(f"{where}: unknown programme {code!r} (known: {known})")
    table = _table(where, raw)
    _keys(where, table, {"article", "beneficiary", "parameters"}, set())
    if table["beneficiary"] not in BENEFICIARIES:
        raise PolicyFileError(f"{where}.beneficiary: must be 'platform' or 'worker'")
    given = set(_table(f"{where}.parameters", table["parameters"]))
    names = set(module.PARAMETERS) - set().union(*module.OPTIONAL_PARAMETER_GROUPS)
    for group in module.OPTIONAL_PARAMETER_GROUPS:
        # Optional parameters come as a whole group (an extension needs all of its values).
        if group & given and not group <= given:
            missing = ", ".join(sorted(group - given))
            raise PolicyFileError(f"{where}.parameters: missing parameter {missing} (of a group)")
    params = _parameters(
        f"{where}.parameters", table["parameters"], module.PARAMETERS, names, starts_by
    )
    return Program(code, _text(f"{where}.article", table["article"]), table["beneficiary"], params)


def parse_policy(raw: Mapping[str, Any], source: str) -> Policy:
    """Check and convert the contents of one policy file (``source`` names it in errors)."""
    fields = {"id", "city", "title", "document_number", "effective_from", "parameters", "programs"}
    _keys(source, raw, fields, {"effective_to"})
    policy_id = _text(f"{source}: id", raw["id"])
    city = _text(f"{source}: city", raw["city"])
    if catalogue.find(city) is None:
        raise PolicyFileError(f"{source}: city {city!r} is not in cities.toml")
    start = _day(f"{source}: effective_from", raw["effective_from"])
    end = None
    if "effective_to" in raw:
        end = _day(f"{source}: effective_to", raw["effective_to"])
        if end < start:
            raise PolicyFileError(f"{source}: effective_to {end} is before effective_from {start}")
    program_table = _table(f"{source}: programs", raw["programs"])
    if not program_table:
        raise PolicyFileError(f"{source}: programs must name at least one programme")
    return Policy(
        id=policy_id,
        city=city,
        title=_text(f"{source}: title", raw["title"]),
        document_number=_text(f"{source}: document_number", raw["document_number"]),
        effective_from=start,
        effective_to=end,
        parameters=_parameters(
            f"{source}: parameters",
            raw["parameters"],
            POLICY_PARAMETERS,
            set(POLICY_PARAMETERS),
            start,
        ),
        programs=tuple(
            _program(f"{source}: programs.{code}", code, value, start)
            for code, value in program_table.items()
        ),
    )
