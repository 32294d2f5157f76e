"""The industries jobs are posted in, and the skill tags each one draws on.

The names are the industries the two documents name (无锡 article 二: 保洁绿化、批发零售、住宿餐饮、
建筑装修; 西宁 article 11: 养老、保育、餐饮、物流、"青海拉面"、"青绣"). A job's category may be any
text; these are the ones the platform knows the skills of, which matching uses to value a
worker's skills beyond the job's required ones. Every skill is a code of the catalogue
(``workers.skills``; a test holds it).
"""

from __future__ import annotations

CATEGORY_SKILLS: dict[str, tuple[str, ...]] = {
    "保洁绿化": ("cleaning", "gardening"),
    "批发零售": ("retail", "warehouse"),
    "住宿餐饮": ("cooking", "catering"),
    "建筑装修": ("construction",),
    "外卖配送": ("delivery", "driving"),
    "养老托育": ("elderly_care", "childcare"),
    "家政": ("housekeeping", "cleaning"),
    "青海拉面": ("noodle_making", "cooking"),
    "青绣": ("embroidery",),
}

# Which of them each city's market has (青海拉面 and 青绣 are 西宁's).
CITY_CATEGORIES: dict[str, tuple[str, ...]] = {
    "wuxi": ("保洁绿化", "批发零售", "住宿餐饮", "建筑装修", "外卖配送", "养老托育", "家政"),
    "xining": (
        "保洁绿化",
        "批发零售",
        "住宿餐饮",
        "建筑装修",
        "外卖配送",
        "养老托育",
        "青海拉面",
        "青绣",
    ),
}


def skill_tags(category: str, required: list[str]) -> set[str]:
    """The skills that make a worker suited to a job: its required ones and its category's."""
    return set(required) | set(CATEGORY_SKILLS.get(category, ()))
