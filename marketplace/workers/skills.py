"""The skills catalogue (contract v1.1 "Skills catalogue"): the codes profiles and jobs use.

One list, so that a worker's 养老护理 and a job's 养老护理 are the same code (the contract's
example said ``elderly_care`` where the demo said ``elder_care``). The first ten are the
contract's; the others are the trades of the two cities' documents (无锡 二: 建筑装修; 西宁 11:
"青海拉面"、"青绣") and the certificates employers ask for (电工证, 叉车证).
"""

from __future__ import annotations

from collections.abc import Iterable

SKILLS: dict[str, str] = {
    "cleaning": "保洁",
    "delivery": "配送",
    "elderly_care": "养老护理",
    "catering": "餐饮服务",
    "moving": "搬运",
    "childcare": "育儿保育",
    "security": "安保",
    "warehouse": "仓储",
    "retail": "零售",
    "driving": "驾驶",
    "cooking": "烹饪",
    "housekeeping": "家政",
    "gardening": "绿化养护",
    "construction": "建筑装修",
    "noodle_making": "拉面制作",
    "embroidery": "刺绣（青绣）",
    "electrician": "电工",
    "forklift": "叉车",
}


def unknown(codes: Iterable[str]) -> list[str]:
    """The codes that are not in the catalogue, in the order given."""
    return [code for code in codes if code not in SKILLS]


def catalogue() -> list[dict[str, str]]:
    """The catalogue as the API lists it: ``[{"code", "name"}]``."""
    return [{"code": code, "name": name} for code, name in SKILLS.items()]
