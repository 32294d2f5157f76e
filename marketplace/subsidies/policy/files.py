"""Reading policy files strictly: every field checked, every problem named by its key.

A typo in a policy file must fail before it raises a flag, not show up as a wrong subsidy months
later. The programmes say which parameters they read and in which unit
(``rules/programs/<code>.py``), so a file naming an unknown programme or parameter, or missing
one, is refused. Every problem is collected, not only the first, each with the path of the key at
fault (``programs.training.parameters.cap_per_worker.values[0].value``), so that an upload can
be answered with the line of each one (``lines.locate``).

The bounds below (amounts, counts, dates) are those of the records the rules meet: a value far
outside them is a typo, and would only fail later, in an evaluation, if it were let through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from marketplace.cities import catalogue
from marketplace.errors import N_, Message
from marketplace.subsidies.policy import labels
from marketplace.subsidies.policy.definition import DatedValue, Parameter, Policy, Program, Value

BENEFICIARIES = frozenset({"platform", "worker"})

# Parameters of a policy as a whole (not of one programme), with their units.
POLICY_PARAMETERS: Mapping[str, str] = {
    "matching_priority_weight": "share",
    "matching_graduate_window_months": "months",
    "matching_runway_weight": "share",
}
# Policy parameters a file may leave out: versions stored before the parameter existed have
# none, and their readers fall back to a default (``rules.priority.DEFAULT_TERMS``).
OPTIONAL_POLICY_PARAMETERS = frozenset({"matching_runway_weight"})
# Parameters that must be above zero: a rounding step divides the amount it rounds.
POSITIVE_PARAMETERS = frozenset({"rounding_step"})

# References a `reference` parameter may name (values of the city catalogue, cities.toml) and the
# roundings a `rounding` parameter may name: those officials can read in words.
REFERENCES = frozenset(labels.REFERENCES)
_ROUNDINGS = frozenset(labels.ROUNDINGS)
# Amounts as the API writes money: at most 9 digits of yuan (a flag's amount fits its column).
_MONEY = re.compile(r"\d{1,9}\.\d{2}", re.ASCII)
_DECIMAL = re.compile(r"\d{1,9}(\.\d{1,9})?", re.ASCII)
_FRACTION = re.compile(r"\d{1,9}/[1-9]\d{0,8}", re.ASCII)
# A policy's id names it in URLs, flags and file names.
_IDENTIFIER = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*", re.ASCII)
_LATIN = re.compile(r"[A-Za-z]")
MAX_ID_LENGTH = 64
MAX_TEXT_LENGTH = 2000
MAX_COUNT = 1200  # a hundred years of months
FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2199, 12, 31)

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy file: the path of the key at fault, and what is wrong."""

    path: KeyPath
    message: Message  # a msgid of the catalogue with its parameters

    @property
    def key(self) -> str:
        """The path as a file's reader writes it: ``programs.training.parameters.x.values[0]``."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text


class PolicyFileError(ValueError):
    """A policy file that does not follow the format: every problem, each naming its key."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(
            "\n".join(
                f"{source}: {problem.key}: {problem.message}"
                if problem.path
                else f"{source}: {problem.message}"
                for problem in self.problems
            )
        )


class _Refused(ValueError):
    """A value its unit does not accept (the message says why)."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template)
        self.message = Message(template, **params)


def _money(raw: object) -> Decimal:
    # Strings only: a TOML float would already have lost the exact amount.
    if not isinstance(raw, str) or not _MONEY.fullmatch(raw):
        raise _Refused(
            N_("an amount must be a string with two decimals like '800.00', not %(value)s"),
            value=repr(raw),
        )
    return Decimal(raw)


def _count(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_COUNT:
        raise _Refused(
            N_("must be a whole number from 0 to %(max)s, not %(value)s"),
            max=MAX_COUNT,
            value=repr(raw),
        )
    return raw


def _fraction(raw: object) -> Fraction:
    if (
        not isinstance(raw, str)
        or not (_FRACTION.fullmatch(raw) or _DECIMAL.fullmatch(raw))
        or Fraction(raw) > 1
    ):
        raise _Refused(
            N_("a rate must be a string in [0, 1] like '2/3' or '0.5', not %(value)s"),
            value=repr(raw),
        )
    return Fraction(raw)


def _share(raw: object) -> Decimal:
    if not isinstance(raw, str) or not _DECIMAL.fullmatch(raw) or Decimal(raw) > 1:
        raise _Refused(
            N_("a share must be a decimal string in [0, 1] like '0.10', not %(value)s"),
            value=repr(raw),
        )
    return Decimal(raw)


def _boolean(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise _Refused(N_("must be true or false, not %(value)s"), value=repr(raw))
    return raw


def _one_of(choices: frozenset[str]) -> Callable[[object], Value]:
    def check(raw: object) -> str:
        if raw not in choices:
            raise _Refused(
                N_("must be one of %(choices)s, not %(value)s"),
                choices=", ".join(sorted(choices)),
                value=repr(raw),
            )
        return str(raw)

    return check


UNITS: Mapping[str, Callable[[object], Value]] = {
    "CNY": _money,
    "CNY/class_hour": _money,
    "months": _count,
    "count": _count,
    "fraction": _fraction,
    "share": _share,
    "boolean": _boolean,
    "rounding": _one_of(_ROUNDINGS),
    "reference": _one_of(REFERENCES),
}


class _Reader:
    """Reads one file's parsed TOML, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def refuse(self, path: KeyPath, template: str, **params: Any) -> None:
        """Note a problem at ``path`` (``template`` is a msgid with named ``params``)."""
        self.problems.append(Problem(path, Message(template, **params)))

    def keys(
        self, path: KeyPath, raw: Mapping[str, Any], required: set[str], optional: set[str]
    ) -> bool:
        """Whether ``raw`` has every required key; each missing and unknown key is a problem."""
        missing = sorted(required - raw.keys())
        if missing:
            self.refuse(path, N_("missing %(names)s"), names=", ".join(missing))
        for name in sorted(raw.keys() - required - optional):
            self.refuse((*path, name), N_("unknown key %(key)s"), key=name)
        return not missing

    def table(self, path: KeyPath, raw: object) -> Mapping[str, Any] | None:
        """``raw`` if it is a table, else None (a problem)."""
        if not isinstance(raw, dict):
            self.refuse(path, N_("must be a table"))
            return None
        return raw

    def day(self, path: KeyPath, raw: object) -> date | None:
        """``raw`` if it is a plain date in the bounds, else None (a problem)."""
        # tomllib gives datetime (a date subclass) for date-times; a policy date is a plain date.
        if type(raw) is not date or not FIRST_DAY <= raw <= LAST_DAY:
            self.refuse(
                path,
                N_("must be a date from %(first)s to %(last)s like 2021-05-31, not %(value)s"),
                first=FIRST_DAY.isoformat(),
                last=LAST_DAY.isoformat(),
                value=repr(raw),
            )
            return None
        return raw

    def text(self, path: KeyPath, raw: object, *, chinese: bool = False) -> str | None:
        """``raw`` if it is a non-empty string of a sane length, else None (a problem).

        ``chinese``: officials read it in the flags' explanations, which are Chinese only.
        """
        if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_TEXT_LENGTH:
            self.refuse(
                path,
                N_("must be a non-empty string of at most %(max)s characters"),
                max=MAX_TEXT_LENGTH,
            )
            return None
        if chinese and _LATIN.search(raw):
            self.refuse(path, N_("officials read this in Chinese: no Latin letters"))
            return None
        return raw

    def identifier(self, path: KeyPath, raw: object) -> str | None:
        """``raw`` if it can be a policy's id, else None (a problem)."""
        if not isinstance(raw, str) or len(raw) > MAX_ID_LENGTH or not _IDENTIFIER.fullmatch(raw):
            self.refuse(
                path,
                N_(
                    "an id is lower-case letters and digits in parts joined by hyphens, at most "
                    "%(max)s characters, like 'wuxi-2021-26'; not %(value)s"
                ),
                max=MAX_ID_LENGTH,
                value=repr(raw),
            )
            return None
        return raw

    def parameter(
        self, path: KeyPath, name: str, raw: object, unit: str, starts_by: date | None
    ) -> Parameter | None:
        """One dated parameter in ``unit``; None (and its problems noted) when it is invalid."""
        table = self.table(path, raw)
        if table is None:
            return None
        complete = self.keys(path, table, {"unit", "values"}, set())
        if "unit" in table and table["unit"] != unit:
            self.refuse(
                (*path, "unit"),
                N_("unit must be %(unit)s, not %(value)s"),
                unit=repr(unit),
                value=repr(table["unit"]),
            )
            complete = False
        rows = table.get("values")
        if "values" in table and (not isinstance(rows, list) or not rows):
            self.refuse((*path, "values"), N_("values must be a non-empty list"))
            return None
        values: list[DatedValue] = []
        for index, row in enumerate(rows or []):
            entry = self.dated_value((*path, "values", index), name, row, unit)
            if entry is None:
                complete = False
                continue
            if values and entry.start <= values[-1].start:
                self.refuse(
                    (*path, "values", index, "from"),
                    N_("dates must increase (%(day)s after %(previous)s)"),
                    day=entry.start.isoformat(),
                    previous=values[-1].start.isoformat(),
                )
                complete = False
            values.append(entry)
        if values and starts_by is not None and values[0].start > starts_by:
            self.refuse(
                path, N_("no value on the policy's first day %(day)s"), day=starts_by.isoformat()
            )
            complete = False
        return Parameter(name, unit, tuple(values)) if complete and values else None

    def dated_value(self, path: KeyPath, name: str, raw: object, unit: str) -> DatedValue | None:
        """One ``{from, value, article}`` of a parameter; None when it is invalid."""
        entry = self.table(path, raw)
        if entry is None:
            return None
        complete = self.keys(path, entry, {"from", "value", "article"}, set())
        start = self.day((*path, "from"), entry["from"]) if "from" in entry else None
        value: Value | None = None
        if "value" in entry:
            try:
                value = UNITS[unit](entry["value"])
            except _Refused as refused:
                self.problems.append(Problem((*path, "value"), refused.message))
            else:
                if name in POSITIVE_PARAMETERS and not value:
                    self.refuse((*path, "value"), N_("must be more than 0"))
                    value = None
        article = (
            self.text((*path, "article"), entry["article"], chinese=True)
            if "article" in entry
            else None
        )
        if not complete or start is None or value is None or article is None:
            return None
        return DatedValue(start, value, article)

    def parameters(
        self,
        path: KeyPath,
        raw: object,
        units: Mapping[str, str],
        names: set[str],
        starts_by: date | None,
    ) -> tuple[Parameter, ...] | None:
        """The parameters of a table, each in its unit; None when any is invalid."""
        table = self.table(path, raw)
        if table is None:
            return None
        complete = True
        for name in sorted(table.keys() - units.keys()):
            self.refuse((*path, name), N_("unknown parameter %(names)s"), names=name)
            complete = False
        missing = sorted(names - table.keys())
        if missing:
            self.refuse(path, N_("missing parameter %(names)s"), names=", ".join(missing))
            complete = False
        found = []
        for name, value in table.items():
            if name not in units:
                continue
            parameter = self.parameter((*path, name), name, value, units[name], starts_by)
            if parameter is None:
                complete = False
            else:
                found.append(parameter)
        return tuple(found) if complete else None

    def program(
        self, path: KeyPath, code: str, raw: object, starts_by: date | None
    ) -> Program | None:
        """One programme of the policy; None when it is invalid."""
        # Imported at call time: the programme modules import the policy types, which import this.
        from marketplace.subsidies.rules import programs

        module = programs.registry().get(code)
        if module is None:
            self.refuse(
                path,
                N_("unknown programme %(code)s (known: %(known)s)"),
                code=repr(code),
                known=", ".join(sorted(programs.registry())),
            )
            return None
        table = self.table(path, raw)
        if table is None:
            return None
        complete = self.keys(path, table, {"article", "beneficiary", "parameters"}, set())
        if "beneficiary" in table and table["beneficiary"] not in BENEFICIARIES:
            self.refuse((*path, "beneficiary"), N_("must be 'platform' or 'worker'"))
            complete = False
        article = (
            self.text((*path, "article"), table["article"], chinese=True)
            if "article" in table
            else None
        )
        if "parameters" not in table:
            return None
        given = table["parameters"]
        given_names = set(given) if isinstance(given, dict) else set()
        names = set(module.PARAMETERS) - set().union(*module.OPTIONAL_PARAMETER_GROUPS)
        for group in module.OPTIONAL_PARAMETER_GROUPS:
            # Optional parameters come as a whole group (an extension needs all of its values).
            if group & given_names and not group <= given_names:
                self.refuse(
                    (*path, "parameters"),
                    N_("missing parameter %(names)s (of a group)"),
                    names=", ".join(sorted(group - given_names)),
                )
                complete = False
        params = self.parameters((*path, "parameters"), given, module.PARAMETERS, names, starts_by)
        if not complete or article is None or params is None:
            return None
        return Program(code, article, table["beneficiary"], params)

    def policy(self, raw: Mapping[str, Any]) -> Policy | None:
        """The whole policy; None when anything in it is invalid."""
        fields = {
            "id",
            "city",
            "title",
            "document_number",
            "effective_from",
            "parameters",
            "programs",
        }
        complete = self.keys((), raw, fields, {"effective_to"})
        policy_id = self.identifier(("id",), raw["id"]) if "id" in raw else None
        city = self.text(("city",), raw["city"]) if "city" in raw else None
        if city is not None and catalogue.find(city) is None:
            self.refuse(("city",), N_("city %(city)s is not in cities.toml"), city=repr(city))
            city = None
        title = self.text(("title",), raw["title"], chinese=True) if "title" in raw else None
        number = (
            self.text(("document_number",), raw["document_number"], chinese=True)
            if "document_number" in raw
            else None
        )
        start = (
            self.day(("effective_from",), raw["effective_from"])
            if "effective_from" in raw
            else None
        )
        end = None
        if "effective_to" in raw:
            end = self.day(("effective_to",), raw["effective_to"])
            if end is None:
                complete = False
            elif start is not None and end < start:
                self.refuse(
                    ("effective_to",),
                    N_("effective_to %(end)s is before effective_from %(start)s"),
                    end=end.isoformat(),
                    start=start.isoformat(),
                )
                complete = False
        parameters = None
        if "parameters" in raw:
            parameters = self.parameters(
                ("parameters",),
                raw["parameters"],
                POLICY_PARAMETERS,
                set(POLICY_PARAMETERS) - OPTIONAL_POLICY_PARAMETERS,
                start,
            )
        found: list[Program] = []
        if "programs" in raw:
            program_table = self.table(("programs",), raw["programs"])
            if program_table is not None and not program_table:
                self.refuse(("programs",), N_("programs must name at least one programme"))
            for code, value in (program_table or {}).items():
                program = self.program(("programs", code), code, value, start)
                if program is None:
                    complete = False
                else:
                    found.append(program)
        if (
            not complete
            or self.problems
            or None in (policy_id, city, title, number, start, parameters)
        ):
            return None
        assert policy_id and city and title and number and start and parameters is not None
        return Policy(
            id=policy_id,
            city=city,
            title=title,
            document_number=number,
            effective_from=start,
            effective_to=end,
            parameters=parameters,
            programs=tuple(found),
        )


def read_policy(raw: Mapping[str, Any]) -> tuple[Policy | None, list[Problem]]:
    """Check and convert the contents of one policy file: the policy, or every problem in it."""
    reader = _Reader()
    found = reader.policy(raw)
    return (None if reader.problems else found), reader.problems


def parse_policy(raw: Mapping[str, Any], source: str) -> Policy:
    """Check and convert the contents of one policy file (``source`` names it in errors)."""
    found, problems = read_policy(raw)
    if found is None:
        raise PolicyFileError(source, problems)
    return found
