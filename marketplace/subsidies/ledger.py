"""What was paid: disbursing approved flags, and the ledger of every flag by where it stands.

Contract v1.1, "Decisions that hold, and the money ledger". An official of the flag's city marks
an approved flag paid, once, with the day and the voucher (凭证号) of the payment. The ledger puts
each flag in exactly one bucket by where it stands now — ``pending``, ``approved`` (not yet
disbursed), ``disbursed``, ``rejected`` — and sums them per programme, policy and beneficiary,
exactly: the database adds integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.cities import catalogue
from marketplace.common import guards, spreadsheets
from marketplace.database import stored_integer
from marketplace.errors import Conflict, Forbidden, Invalid, field_error
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.subsidies import export, notices
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.rules import programs

BUCKETS = ("pending", "approved", "disbursed", "rejected")
HUNDRED = Decimal(100)


def disburse(user: User, flag_id: int, paid_on: date, voucher: str) -> SubsidyFlag:
    """Record the payment of an approved flag: an official of its city, once."""
    flag = db.session.scalar(select(SubsidyFlag).where(SubsidyFlag.id == flag_id).with_for_update())
    guards.official_of_city(
        user,
        flag.city if flag else None,
        N_("only an official of the flag's city may record its payment"),
        N_("flag"),
    )
    assert flag is not None
    if flag.status != "approved":
        raise Conflict("only the payment of an approved flag can be recorded")
    if flag.disbursed_on is not None:
        raise Conflict(
            "this flag's payment was already recorded on %(paid_on)s (voucher %(voucher)s)",
            paid_on=flag.disbursed_on.isoformat(),
            voucher=flag.voucher,
        )
    place = catalogue.find(flag.city)
    today = catalogue.today_in(flag.city)
    decided = (
        clock.local_date(flag.decided_at, place.timezone) if flag.decided_at and place else None
    )
    if paid_on > today:
        raise Invalid(
            "the payment date cannot be after today",
            field_error("json", "paid_on", "after today (%(today)s)", today=today.isoformat()),
        )
    if decided is not None and paid_on < decided:
        raise Invalid(
            "the payment date cannot be before the approval date",
            field_error(
                "json",
                "paid_on",
                "before the approval date (%(approved)s)",
                approved=decided.isoformat(),
            ),
        )
    flag.disbursed_on = paid_on
    flag.voucher = voucher
    flag.disbursed_at = clock.now()
    flag.disbursed_by = user.id
    db.session.flush()
    audit.record(
        "flag.disbursed",
        "flag",
        flag.id,
        {
            "worker_id": flag.worker_id,
            "program": flag.program,
            "policy_id": flag.policy_id,
            "key": flag.key,
            "amount": None if flag.amount is None else str(flag.amount),
            "paid_on": paid_on.isoformat(),
            "voucher": voucher,
        },
        actor_id=user.id,
        city=flag.city,
    )
    notices.flag_disbursed(flag)
    return flag


@dataclass(frozen=True)
class Ledger:
    """The ledger of a city: one row per programme, policy and beneficiary."""

    city: str
    rows: list[dict[str, Any]]


def _bucket() -> Any:
    return case(
        (SubsidyFlag.disbursed_on.is_not(None), "disbursed"),
        else_=SubsidyFlag.status,
    )


def ledger_query(city: str, program: str | None, month: str | None) -> Select[Any]:
    """Count and fen per (programme, policy, beneficiary, bucket) of the city's flags."""
    bucket = _bucket().label("bucket")
    conditions = [SubsidyFlag.city == city]
    if program is not None:
        conditions.append(SubsidyFlag.program == program)
    if month is not None:
        conditions.append(SubsidyFlag.period_end == month)
    return (
        select(
            SubsidyFlag.program,
            SubsidyFlag.policy_id,
            SubsidyFlag.beneficiary,
            bucket,
            func.count(),
            func.coalesce(func.sum(stored_integer(SubsidyFlag.amount)), 0),
        )
        .where(*conditions)
        .group_by(SubsidyFlag.program, SubsidyFlag.policy_id, SubsidyFlag.beneficiary, bucket)
        .order_by(SubsidyFlag.program, SubsidyFlag.policy_id, SubsidyFlag.beneficiary)
    )


def ledger(user: User, city: str | None, program: str | None, month: str | None) -> Ledger:
    """The ledger of ``city`` (an official's own by default; admins name one)."""
    if user.role == "official":
        if city is not None and city != user.city:
            raise Forbidden("officials see the ledger of their own city only")
        city = user.city
    if city is None:
        raise Invalid("name a city", field_error("query", "city", "required"))
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for name, policy_id, beneficiary, bucket, count, fen in db.session.execute(
        ledger_query(city, program, month)
    ):
        row = rows.setdefault(
            (name, policy_id, beneficiary),
            {
                "program": name,
                "policy_id": policy_id,
                "beneficiary": beneficiary,
                **{b: {"count": 0, "amount": Decimal("0.00")} for b in BUCKETS},
            },
        )
        row[bucket] = {"count": count, "amount": (Decimal(fen) / HUNDRED).quantize(Decimal("0.01"))}
    return Ledger(city, list(rows.values()))


LEDGER_HEADERS = (
    "补贴项目",
    "政策",
    "受益方",
    *(
        f"{name}{part}"
        for name in ("待审核", "已批准未发放", "已发放", "已驳回")
        for part in ("笔数", "金额（元）")
    ),
)


def export_ledger(
    user: User, city: str | None, program: str | None, month: str | None, file_format: str
) -> spreadsheets.ExportFile:
    """The ledger as a ``csv`` or ``xlsx`` file, in Chinese; the download is audited."""
    found = ledger(user, city, program, month)
    names = programs.names()
    rows = [
        [
            names.get(row["program"], row["program"]),
            row["policy_id"],
            export.BENEFICIARY_NAMES.get(row["beneficiary"], row["beneficiary"]),
            *(value for b in BUCKETS for value in (row[b]["count"], row[b]["amount"])),
        ]
        for row in found.rows
    ]
    suffix = "-".join(part for part in (found.city, program, month) if part)
    exported = spreadsheets.write(file_format, "资金台账", LEDGER_HEADERS, rows, f"ledger-{suffix}")
    filters = {"city": found.city, "program": program, "month": month}
    audit.record_export(
        "ledger", file_format, filters, exported.rows, actor_id=user.id, city=found.city
    )
    return exported
