"""Districts of the two cities with approximate centres and population weights.

Used to spread demo and synthetic people and workplaces over the real map.
"""

from __future__ import annotations

from marketplace.jobs.categories import CATEGORY_SKILLS, CITY_CATEGORIES

# (district, lat, lon, weight) — weights roughly follow the districts' populations.
DISTRICTS: dict[str, list[tuple[str, float, float, float]]] = {
    "wuxi": [
        ("梁溪区", 31.5750, 120.2960, 0.20),
        ("锡山区", 31.5890, 120.3570, 0.11),
        ("惠山区", 31.6810, 120.2980, 0.11),
        ("滨湖区", 31.5270, 120.2830, 0.12),
        ("新吴区", 31.5500, 120.3570, 0.16),
        ("江阴市", 31.9110, 120.2850, 0.17),
        ("宜兴市", 31.3400, 119.8230, 0.13),
    ],
    "xining": [
        ("城东区", 36.6000, 101.8040, 0.17),
        ("城中区", 36.6210, 101.7840, 0.15),
        ("城西区", 36.6280, 101.7650, 0.17),
        ("城北区", 36.6500, 101.7660, 0.16),
        ("湟中区", 36.5010, 101.5710, 0.17),
        ("大通回族土族自治县", 36.9270, 101.6850, 0.12),
        ("湟源县", 36.6820, 101.2560, 0.06),
    ],
}

# Region codes (first six digits of a resident ID) of each city's districts.
REGION_CODES = {
    "wuxi": ["320213", "320205", "320206", "320211", "320214", "320281", "320282"],
    "xining": ["630102", "630103", "630104", "630105", "630106", "630121", "630123"],
}

# The industries of each city with the skills their jobs ask for (from the jobs domain).
CATEGORIES: dict[str, list[tuple[str, list[str]]]] = {
    city: [(name, list(CATEGORY_SKILLS[name])) for name in names]
    for city, names in CITY_CATEGORIES.items()
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英玉兰萍建华文辉红梅海燕晓东鹏飞志强春梅"
