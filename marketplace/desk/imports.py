"""What the desk's import page shows: the three imports, and a refused file's errors in Chinese.

The imports refuse in English (the API's messages, with the row and column of each problem);
the page words the same findings for the admin who uploaded the file: each problem by its row
and by the column's Chinese header, the rules' own messages translated, and any message not
known here replaced by what the column must hold — so no English ever reaches the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import fields as ma_fields

from marketplace.common import uploads
from marketplace.common.uploads import FileRefused
from marketplace.earnings import files, imports, schemas
from marketplace.earnings.imports import FileRows, RecordsInvalid
from marketplace.earnings.schemas import RecordProblem

MAX_SHOWN = 100  # errors listed on the page; the rest are counted


@dataclass(frozen=True)
class Kind:
    """One import as the page offers it."""

    code: str
    name: str
    description: str
    headers: list[str]


_DESCRIPTIONS = {
    "earnings": (
        "收入记录",
        "零工在使用本系统之前通过平台取得的劳动收入（旧系统迁移或合作渠道），每人每月一条。"
        "“收入来源”写明数据从哪里来，例如“旧系统迁移”；同一来源、同一人、同一月份再次导入会替换原记录。",
    ),
    "contributions": (
        "社保缴费记录",
        "零工以灵活就业人员身份自行缴纳的养老保险费和医疗保险费（元），每人每月一条；"
        "同一人同一月份再次导入会替换原记录。",
    ),
    "training": (
        "培训记录",
        "平台组织的线上职业技能培训，每人每门课程每个完成日期一条；再次导入会替换原记录。",
    ),
}


def kinds() -> list[Kind]:
    """The three imports, in the page's order."""
    return [
        Kind(code, *_DESCRIPTIONS[code], [column.header for column in layout.columns])
        for code, layout in files.LAYOUTS.items()
    ]


def kind_name(code: str) -> str:
    """The Chinese name of an import."""
    return _DESCRIPTIONS[code][0]


@dataclass(frozen=True)
class Refusal:
    """Why an upload imported nothing: a headline and the lines that explain it."""

    kind: str
    headline: str
    lines: list[str] = field(default_factory=list)
    more: int = 0  # errors found but not listed


NOTHING_IMPORTED = "文件未导入，没有保存任何记录。"
UNREADABLE = "文件已损坏，无法读取。请在 Excel 中重新“另存为” XLSX 或 CSV 格式后再上传。"

# The rules' own messages, in Chinese.
MESSAGES = {
    ma_fields.Field.default_error_messages["required"]: "不能为空",
    imports.NO_WORKER: "在系统中找不到对应的零工（请核对号码，或请本人先在平台登记）",
    schemas.FUTURE_MONTH: "不能晚于本月",
    schemas.FUTURE_DAY: "不能晚于今天",
    schemas.ID_FORMAT: "应为18位身份证号码",
    schemas.ID_CHECK: "校验位不符，请核对号码",
    files.SPREADSHEET_ERROR: "是公式错误值，没有数值",
    files.ID_AS_NUMBER: "被存成了数字，末几位已经丢失；请把该列设为文本格式后重新填写",
}
_MONEY = "应为以元为单位的金额，最多两位小数，例如 2700.00"
# What each field must hold: said for any message not translated above.
FIELD_HINTS = {
    "id_number": "应为18位身份证号码",
    "month": "应为年月，例如 2026-01",
    "hours": "应为0到744之间的数字，最多两位小数",
    "income": _MONEY,
    "pension": _MONEY,
    "medical": _MONEY,
    "course": "应为1到100个字的课程名称",
    "class_hours": "应为大于0的数字，最多两位小数",
    "completed_on": "应为日期，例如 2026-02-01",
}


def _megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)}兆字节"


def _header_lines(facts: dict[str, Any]) -> list[str]:
    lines = []
    if facts.get("missing"):
        lines.append("缺少列：" + "、".join(facts["missing"]))
    if facts.get("unknown"):
        lines.append("模板中没有的列：" + "、".join(facts["unknown"]))
    if facts.get("repeated"):
        lines.append("重复的列：" + "、".join(facts["repeated"]))
    for position in facts.get("unnamed", ()):
        lines.append(f"第{position}列有内容，但第1行没有列名")
    lines.append("模板的列名为：" + "、".join(facts.get("expected", ())))
    return lines


def file_refusal(kind: str, error: FileRefused) -> Refusal:
    """A file refused as a whole, in Chinese."""
    facts = error.facts
    if error.reason == uploads.TOO_LARGE:
        limit = facts.get("max_bytes", files.MAX_FILE_BYTES)
        return Refusal(kind, f"文件太大：不能超过{_megabytes(limit)}。")
    if error.reason == uploads.TOO_MANY_ROWS:
        rows = facts.get("max_rows", schemas.MAX_RECORDS)
        return Refusal(kind, f"文件行数太多：列名行以下最多{rows}行，请分成几个文件上传。")
    if error.reason == files.HEADER:
        return Refusal(kind, "第1行的列名与模板不符，请按模板填写。", _header_lines(facts))
    headline = {
        uploads.EMPTY: "文件是空的。",
        files.NO_RECORDS: "文件只有列名行，没有记录。",
        uploads.NOT_A_SPREADSHEET: "无法识别文件：既不是 CSV 文件，也不是 Excel（XLSX）文件。",
        uploads.OLD_EXCEL: "这是旧版 Excel 文件（97-2003 格式）或设有密码的文件，无法读取。"
        "请在 Excel 中“另存为” XLSX 或 CSV 格式（不设密码）后再上传。",
    }.get(error.reason, UNREADABLE)
    return Refusal(kind, headline)


def _said(name: str, messages: Sequence[str]) -> str:
    hint = FIELD_HINTS.get(name, "内容不符合要求")
    said = dict.fromkeys(MESSAGES.get(message, hint) for message in messages)
    return "，".join(said)


def _row_line(problem: RecordProblem, rows: FileRows) -> str:
    where = f"第{rows.numbers[problem.index]}行"
    if problem.repeats is not None:
        names = "、".join(rows.headers.get(name, name) for name, _ in problem.key)
        values = "，".join(value for _, value in problem.key if value is not None)
        first = rows.numbers[problem.repeats]
        return f"{where}：与第{first}行重复（{names}相同：{values}），同一文件中只能出现一次"
    parts = [
        f"{rows.headers.get(name, name)}{_said(name, messages)}"
        for name, messages in problem.messages.items()
    ]
    return f"{where}：" + "；".join(parts)


def rows_refusal(kind: str, error: RecordsInvalid) -> Refusal:
    """Bad rows of a file, each by its row, in Chinese (the first ``MAX_SHOWN`` of them)."""
    rows = error.rows
    if rows is None:  # only files come through the page
        raise ValueError("the page imports files only")
    lines = [_row_line(problem, rows) for problem in error.problems[:MAX_SHOWN]]
    headline = f"{NOTHING_IMPORTED}有{len(error.problems)}行出错，请改正后重新上传整个文件："
    return Refusal(kind, headline, lines, max(len(error.problems) - MAX_SHOWN, 0))


def form_refusal(kind: str, messages: dict[str, Any]) -> Refusal:
    """The form's own fields refused (no file chosen, no source), in Chinese."""
    lines = []
    if "source" in messages:
        said = messages["source"]
        if schemas.RESERVED_SOURCE in said:
            lines.append("这个收入来源名称由平台保留，请换一个名称。")
        else:
            lines.append("请填写收入来源（1至64个字），例如“旧系统迁移”。")
    if "file" in messages:
        lines.append("请选择要上传的 Excel（XLSX）或 CSV 文件。")
    return Refusal(kind, NOTHING_IMPORTED, lines)
