"""The officials' export of flags: CSV or Excel, Chinese headers, ID numbers masked.

CSV is written as UTF-8 with a byte-order mark, which is what makes Excel on a Chinese desktop
open it with the characters intact. Amounts go into the spreadsheet as the exact decimal text
the database holds, formatted with two decimals.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import Select

from marketplace import clock
from marketplace.cities import catalogue
from marketplace.extensions import db
from marketplace.subsidies.models import SubsidyFlag
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
PROGRAM_NAMES = {
    "platform_service": "就业创业服务补助",
    "social_insurance": "社会保险补贴",
    "training": "线上职业培训补贴",
    "entrepreneurship": "一次性创业补贴",
}
BENEFICIARY_NAMES = {"platform": "平台企业", "worker": "个人"}
STATUS_NAMES = {"pending": "待审核", "approved": "已批准", "rejected": "已驳回"}
AMOUNT_COLUMN = HEADERS.index("金额（元）")
MIME_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ExportFile:
    """An export ready to send."""

    content: bytes
    mimetype: str
    filename: str


def _time(instant: datetime | None) -> str:
    if instant is None:
        return ""
    return instant.astimezone(ZoneInfo(clock.DEFAULT_TIMEZONE)).strftime("%Y-%m-%d %H:%M:%S")


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
            PROGRAM_NAMES.get(flag.program, flag.program),
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


def _csv(query: Select[Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in rows(query):
        row[AMOUNT_COLUMN] = "" if row[AMOUNT_COLUMN] is None else str(row[AMOUNT_COLUMN])
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(query: Select[Any]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("补贴标记")
    sheet.append(list(HEADERS))
    for row in rows(query):
        amount = WriteOnlyCell(sheet, value=row[AMOUNT_COLUMN])
        amount.number_format = "0.00"
        row[AMOUNT_COLUMN] = amount
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(query: Select[Any], file_format: str, scope: str) -> ExportFile:
    """The flags of ``query`` as a ``csv`` or ``xlsx`` file named after ``scope`` and today."""
    content = _csv(query) if file_format == "csv" else _xlsx(query)
    filename = f"subsidy-flags-{scope}-{clock.today().isoformat()}.{file_format}"
    return ExportFile(content, MIME_TYPES[file_format], filename)
