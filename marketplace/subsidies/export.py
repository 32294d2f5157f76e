"""The officials' export of flags: CSV or Excel, Chinese headers, ID numbers masked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select

from marketplace import clock
from marketplace.cities import catalogue
from marketplace.common import spreadsheets
from marketplace.common.spreadsheets import ExportFile
from marketplace.extensions import db
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.rules import programs
from marketplace.workers.models import Worker

HEADERS = (
    "标记编号",
    "劳动者编号",
    "姓名",
    "身份证号码（脱敏）",
    "城市",
    "政策",
    "补贴项目",
    "受益方",
    "金额（元）",
    "起始月份",
    "截止月份",
    "状态",
    "风险提示",
    "依据说明",
    "创建时间",
    "决定时间",
    "决定人",
    "决定理由",
)
BENEFICIARY_NAMES = {"platform": "平台企业", "worker": "个人"}
STATUS_NAMES = {"pending": "待审核", "approved": "已批准", "rejected": "已驳回"}


def _time(instant: datetime | None) -> str:
    if instant is None:
        return ""
    return clock.local_text(instant)


def _city_name(code: str) -> str:
    city = catalogue.find(code)
    return city.name if city else code


def rows(query: Select[Any]) -> Iterator[list[Any]]:
    """One row per flag of ``query``, in the order of HEADERS."""
    joined = query.add_columns(Worker.name, Worker.id_number_masked).join(
        Worker, Worker.id == SubsidyFlag.worker_id
    )
    for flag, name, masked in db.session.execute(joined):
        yield [
            flag.id,
            flag.worker_id,
            name,
            masked,
            _city_name(flag.city),
            flag.policy_id,
            programs.names().get(flag.program, flag.program),
            BENEFICIARY_NAMES.get(flag.beneficiary, flag.beneficiary),
            flag.amount,
            flag.period_start or "",
            flag.period_end or "",
            STATUS_NAMES.get(flag.status, flag.status),
            "\n".join(flag.risk_signals),
            "\n".join(flag.explanation),
            _time(flag.created_at),
            _time(flag.decided_at),
            flag.decided_by or "",
            flag.decision_reason or "",
        ]


def export(query: Select[Any], file_format: str, scope: str) -> ExportFile:
    """The flags of ``query`` as a ``csv`` or ``xlsx`` file named after ``scope`` and today."""
    filename = f"subsidy-flags-{scope}-{clock.today().isoformat()}"
    return spreadsheets.write(file_format, "补贴标记", HEADERS, rows(query), filename)
