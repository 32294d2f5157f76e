"""How officials read a policy's parameters: a Chinese name for each, and its value in words.

Parameter names are identifiers of the code (``rate_per_class_hour``); an official checking a flag
reads 每课时补贴标准 and 四舍五入, never the identifier or ``ROUND_HALF_UP``. A programme whose
parameter has no label here fails its tests (tests/subsidies/test_labels.py).
"""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
)

from marketplace.subsidies.policy.definition import Value

LABELS: dict[str, str] = {
    # The policy as a whole
    "matching_priority_weight": "匹配优先权重",
    "matching_graduate_window_months": "高校毕业生匹配优先期（月）",
    "matching_runway_weight": "匹配补足稳定收入权重",
    # 就业创业服务补助
    "requires_resident": "须常住本市",
    "stable_months": "连续稳定收入月数",
    "stable_income_threshold": "稳定收入标准",
    "amount_unemployed": "失业人员补助标准（元/人）",
    "amount_difficulty": "就业困难人员补助标准（元/人）",
    # 社会保险补贴
    "requires_unemployment_registration": "须先办理失业登记",
    "requires_employment_registration": "须办理就业登记",
    "graduate_window_months": "高校毕业生离校后期限（月）",
    "period_months_difficulty": "就业困难人员补贴期限（月）",
    "period_months_graduate": "高校毕业生补贴期限（月）",
    "extension_months": "期满延长期限（月）",
    "max_extensions": "最多延长次数",
    "extension_test_months": "期满稳定就业考察月数",
    "subsidy_rate": "补贴比例",
    "rounding": "舍入方式",
    "rounding_step": "舍入单位（元）",
    # 线上职业培训补贴
    "rate_per_class_hour": "每课时补贴标准（元）",
    "cap_per_worker": "每人累计上限（元）",
    "trainee_income_months": "从业人员收入考察月数",
}

ROUNDINGS: dict[str, str] = {
    ROUND_HALF_UP: "四舍五入",
    ROUND_HALF_EVEN: "四舍六入五成双",
    ROUND_HALF_DOWN: "五舍六入",
    ROUND_UP: "远离零进位",
    ROUND_DOWN: "截尾",
    ROUND_CEILING: "向上取整",
    ROUND_FLOOR: "向下取整",
}

REFERENCES: dict[str, str] = {
    "minimum_wage.monthly": "当月1日施行的本市月最低工资标准",
    "minimum_wage.hourly": "当月1日施行的本市小时最低工资标准",
}


def label(name: str) -> str:
    """The Chinese name of parameter ``name``."""
    return LABELS[name]


def shown(unit: str, value: Value) -> str:
    """A parameter's value as an official reads it: 是/否, 四舍五入, the reference in words."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if unit == "rounding":
        return ROUNDINGS[str(value)]
    if unit == "reference":
        return REFERENCES[str(value)]
    # Decimals keep the digits of the file ("800.00").
    return str(value)
