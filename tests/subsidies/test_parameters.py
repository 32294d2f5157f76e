"""Policies as data: the loader, dated values, the API shape and the checks on policy files."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from marketplace.common.months import Month
from marketplace.subsidies.policy import catalogue as parameters
from marketplace.subsidies.policy.catalogue import (
    POLICY_DIR,
    PolicyFileError,
    load_policies,
    policies_for_city,
    policy,
    to_api,
)
from marketplace.subsidies.rules import programs

WUXI_FILE = POLICY_DIR / "wuxi-2021-26.toml"


def test_both_policies_load() -> None:
    assert [p.id for p in load_policies()] == ["wuxi-2021-26", "xining-2021-33"]
    wuxi = policy("wuxi-2021-26")
    assert (wuxi.city, wuxi.document_number) == ("wuxi", "锡政办发〔2021〕26号")
    assert wuxi.title == "无锡市政府办公室印发关于多渠道促进灵活就业支持平台企业发展实施办法的通知"
    assert (wuxi.effective_from, wuxi.effective_to) == (date(2021, 5, 31), None)
    assert [p.code for p in wuxi.programs] == ["platform_service", "social_insurance", "training"]
    xining = policy("xining-2021-33")
    assert (xining.document_number, xining.effective_to) == ("宁政办〔2021〕33号", date(2026, 5, 7))
    assert [p.code for p in xining.programs] == ["social_insurance"]
    assert policies_for_city("xining") == (xining,)
    assert policies_for_city("nowhere") == ()
    with pytest.raises(KeyError, match="no policy"):
        policy("nowhere-2021-1")


def test_every_number_of_the_rules_is_a_parameter() -> None:
    wuxi = policy("wuxi-2021-26")
    day = date(2026, 1, 1)
    service = wuxi.program("platform_service")
    insurance = wuxi.program("social_insurance")
    training = wuxi.program("training")
    assert service is not None and insurance is not None and training is not None
    assert service.beneficiary == "platform" and insurance.beneficiary == "worker"
    assert service.money("amount_unemployed", day) == Decimal("800.00")
    assert service.money("amount_difficulty", day) == Decimal("1000.00")
    assert service.count("stable_months", day) == 6
    assert service.flag("requires_resident", day) is True
    assert service.text("stable_income_threshold", day) == "minimum_wage.monthly"
    assert insurance.count("period_months_difficulty", day) == 36
    assert insurance.count("period_months_graduate", day) == 24
    assert insurance.count("graduate_window_months", day) == 24
    assert insurance.count("extension_months", day) == 12
    assert insurance.count("extension_test_months", day) == 6
    assert insurance.count("max_extensions", day) == 1
    assert insurance.fraction("subsidy_rate", day) == Fraction(2, 3)
    assert insurance.text("rounding", day) == "ROUND_HALF_UP"
    assert insurance.money("rounding_step", day) == Decimal("0.01")
    assert insurance.flag("requires_unemployment_registration", day) is False
    assert training.money("rate_per_class_hour", day) == Decimal("18.50")
    assert training.money("cap_per_worker", day) == Decimal("500.00")
    assert wuxi.parameter("matching_priority_weight").at(day) == Decimal("0.10")
    # POLICIES.md's readings are marked as such where they are used.
    for name in ("extension_test_months", "stable_income_threshold"):
        assert "解读：" in insurance.parameter(name).values[0].article
    assert "解读：" in service.parameter("stable_income_threshold").values[0].article


def test_xining_has_no_extension_and_needs_registration() -> None:
    program = policy("xining-2021-33").program("social_insurance")
    assert program is not None
    assert not program.has("extension_months")
    assert program.flag("requires_unemployment_registration", date(2024, 1, 1)) is True
    with pytest.raises(KeyError, match="extension_months"):
        program.parameter("extension_months")


def test_typed_accessors_check_the_unit() -> None:
    program = policy("wuxi-2021-26").program("platform_service")
    assert program is not None
    with pytest.raises(TypeError, match="stable_months"):
        program.money("stable_months", date(2026, 1, 1))
    with pytest.raises(TypeError):
        program.count("requires_resident", date(2026, 1, 1))  # a bool is not a count


def test_parameter_at_and_before_the_first_value() -> None:
    program = policy("wuxi-2021-26").program("platform_service")
    assert program is not None
    amount = program.parameter("amount_unemployed")
    assert amount.at(date(2021, 5, 31)) == Decimal("800.00")
    assert amount.entry_at(date(2030, 1, 1)).article.startswith("二")
    with pytest.raises(LookupError, match="no value on 2021-05-30"):
        amount.at(date(2021, 5, 30))


def test_in_force_and_month_counts() -> None:
    wuxi, xining = policy("wuxi-2021-26"), policy("xining-2021-33")
    assert not wuxi.in_force_on(date(2021, 5, 30))
    assert wuxi.in_force_on(date(2021, 5, 31)) and wuxi.in_force_on(date(2099, 12, 31))
    assert not xining.in_force_on(date(2021, 5, 7))
    assert xining.in_force_on(date(2021, 5, 8)) and xining.in_force_on(date(2026, 5, 7))
    assert not xining.in_force_on(date(2026, 5, 8))
    assert wuxi.month_counts(Month(2021, 5)) and not wuxi.month_counts(Month(2021, 4))
    assert xining.month_counts(Month(2021, 5)) and xining.month_counts(Month(2026, 4))
    assert not xining.month_counts(Month(2026, 5))
    assert wuxi.reading_day(date(2019, 1, 1)) == date(2021, 5, 31)
    assert wuxi.reading_day(date(2026, 1, 1)) == date(2026, 1, 1)


def test_to_api_shape() -> None:
    items = [to_api(p) for p in load_policies()]
    json.dumps(items)  # plain JSON
    wuxi, xining = items
    assert list(wuxi) == [
        "id",
        "version",
        "city",
        "title",
        "document_number",
        "effective_from",
        "effective_to",
        "programs",
    ]
    assert (wuxi["effective_from"], wuxi["effective_to"]) == ("2021-05-31", None)
    assert (xining["effective_from"], xining["effective_to"]) == ("2021-05-08", "2026-05-07")
    service = wuxi["programs"][0]
    assert list(service) == ["code", "beneficiary", "parameters"]
    assert service["code"] == "platform_service" and service["beneficiary"] == "platform"
    assert service["parameters"]["amount_difficulty"] == {
        "label": "就业困难人员补助标准（元/人）",
        "unit": "CNY",
        "values": [
            {"from": "2021-05-31", "value": "1000.00", "article": "二：就业困难人员……按1000元/人"}
        ],
    }
    assert service["parameters"]["stable_months"]["values"][0]["value"] == 6
    assert service["parameters"]["requires_resident"]["values"][0]["value"] is True
    insurance = wuxi["programs"][1]["parameters"]
    assert insurance["subsidy_rate"]["values"][0]["value"] == "2/3"
    assert insurance["subsidy_rate"]["unit"] == "fraction"
    for item in items:
        for program in item["programs"]:
            for parameter in program["parameters"].values():
                assert set(parameter) == {"label", "unit", "values"}
                for value in parameter["values"]:
                    assert set(value) == {"from", "value", "article"} and value["article"]
                    assert not isinstance(value["value"], float)


def _write(tmp_path: Path, text: str, name: str = "wuxi-2021-26.toml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old  # the test must really change the file
    return text.replace(old, new)


def test_a_new_value_is_a_data_change(tmp_path: Path) -> None:
    text = _replace(
        WUXI_FILE.read_text(encoding="utf-8"),
        '{ from = 2021-05-31, value = "800.00", article = "二：失业人员……按800元/人" },',
        '{ from = 2021-05-31, value = "800.00", article = "二：失业人员……按800元/人" },\n'
        '    { from = 2027-01-01, value = "900.00", article = "二；此后的通知" },',
    )
    (loaded,) = load_policies(_write(tmp_path, text))
    program = loaded.program("platform_service")
    assert program is not None
    assert program.money("amount_unemployed", date(2026, 12, 31)) == Decimal("800.00")
    assert program.money("amount_unemployed", date(2027, 1, 1)) == Decimal("900.00")
    values = to_api(loaded)["programs"][0]["parameters"]["amount_unemployed"]["values"]
    assert [v["from"] for v in values] == ["2021-05-31", "2027-01-01"]


def test_a_new_policy_is_a_new_file(tmp_path: Path) -> None:
    text = (POLICY_DIR / "xining-2021-33.toml").read_text(encoding="utf-8")
    text = _replace(text, 'id = "xining-2021-33"', 'id = "xining-2026-9"')
    text = _replace(text, "effective_to = 2026-05-07\n", "")
    text = text.replace("2021-05-08", "2026-05-08")
    _write(tmp_path, text, "xining-2026-9.toml")
    _write(tmp_path, WUXI_FILE.read_text(encoding="utf-8"))
    loaded = load_policies(tmp_path)
    assert [p.id for p in loaded] == ["wuxi-2021-26", "xining-2026-9"]
    assert loaded[1].in_force_on(date(2030, 1, 1))


_FROM = '{ from = 2021-05-31, value = "800.00", article = "二：失业人员……按800元/人" }'
INVALID = {
    "unknown programme": (
        ("[programs.training", "[programs.trainings"),
        "unknown programme 'trainings'",
    ),
    "missing article": (
        (_FROM, '{ from = 2021-05-31, value = "800.00" }'),
        r"amount_unemployed.values\[0\]: missing article",
    ),
    "empty article": ((_FROM, _FROM.replace("二：失业人员……按800元/人", " ")), "non-empty"),
    "article in English": (
        (_FROM, _FROM.replace("二：失业人员……按800元/人", "Art. 2")),
        r"amount_unemployed.values\[0\].article: officials read this in Chinese",
    ),
    "unsorted dates": (
        (_FROM, _FROM + ', { from = 2021-05-30, value = "700.00", article = "另" }'),
        r"values\[1\].from: dates must increase",
    ),
    "repeated date": (
        (_FROM, _FROM + ', { from = 2021-05-31, value = "700.00", article = "另" }'),
        "dates must increase",
    ),
    "first value after the policy starts": (
        (_FROM, _FROM.replace("2021-05-31", "2021-06-01")),
        "amount_unemployed: no value on the policy's first day 2021-05-31",
    ),
    "money as a float": ((_FROM, _FROM.replace('"800.00"', "800.0")), "two decimals"),
    "money without cents": ((_FROM, _FROM.replace('"800.00"', '"800"')), "two decimals"),
    "months as a string": (
        ('value = 6, article = "二：实现', 'value = "6", article = "二：实现'),
        "whole",
    ),
    "rate in words": (('value = "2/3"', 'value = "two thirds"'), "'2/3'"),
    "unknown rounding": (
        ('"ROUND_HALF_UP", article = "解读：文件未规定舍入方式', '"HALF", article = "x'),
        "ROUND_",
    ),
    "unknown reference": (
        (
            'value = "minimum_wage.monthly", article = "二「稳定收入」',
            'value = "wage", article = "二',
        ),
        "minimum_wage.monthly",
    ),
    "boolean as a string": (("value = true,", 'value = "yes",'), "true or false"),
    "share above one": (('value = "0.10"', 'value = "1.5"'), "share"),
    "wrong unit": (
        (
            '[programs.platform_service.parameters.stable_months]\nunit = "months"',
            '[programs.platform_service.parameters.stable_months]\nunit = "days"',
        ),
        "unit must be 'months'",
    ),
    "unknown parameter": (
        (
            "[programs.platform_service.parameters.stable_months]",
            '[programs.platform_service.parameters.bonus]\nunit = "CNY"\nvalues = []\n\n'
            "[programs.platform_service.parameters.stable_months]",
        ),
        "unknown parameter bonus",
    ),
    "programme without its article": (
        ('article = "六"\n', ""),
        r"programs.training: missing article",
    ),
    "unknown beneficiary": (('beneficiary = "worker"', 'beneficiary = "city"'), "beneficiary"),
    "unknown city": (('city = "wuxi"', 'city = "suzhou"'), "'suzhou' is not in cities.toml"),
    "id not the file name": (
        ('id = "wuxi-2021-26"', 'id = "wuxi-2021-27"'),
        "must match the file name",
    ),
    "end before start": (
        ("effective_from = 2021-05-31", "effective_from = 2021-05-31\neffective_to = 2021-05-01"),
        "before effective_from",
    ),
    "date-time for a date": (
        ("effective_from = 2021-05-31", "effective_from = 2021-05-31T08:00:00"),
        "must be a date",
    ),
    "unknown field": (('document_number = "', 'documentnumber = "'), "missing document_number"),
    "not TOML": (('id = "wuxi-2021-26"', 'id = "wuxi-2021-26'), "not valid TOML"),
}


@pytest.mark.parametrize("change", list(INVALID.values()), ids=list(INVALID))
def test_invalid_files_fail_with_a_clear_error(
    tmp_path: Path, change: tuple[tuple[str, str], str]
) -> None:
    (old, new), message = change
    text = _replace(WUXI_FILE.read_text(encoding="utf-8"), old, new)
    with pytest.raises(PolicyFileError, match=message) as error:
        load_policies(_write(tmp_path, text))
    assert "wuxi-2021-26.toml" in str(error.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("platform_service.parameters.stable_months", "missing parameter stable_months$"),
        # Optional parameters come as a group: an extension needs all of its values.
        ("social_insurance.parameters.extension_months", "missing parameter extension_months"),
    ],
)
def test_missing_parameters(tmp_path: Path, table: str, message: str) -> None:
    text = WUXI_FILE.read_text(encoding="utf-8")
    start = text.index(f"[programs.{table}]")
    end = text.index("[programs.", start + 1)
    with pytest.raises(PolicyFileError, match=message):
        load_policies(_write(tmp_path, text[:start] + text[end:]))


def test_programme_registry_discovers_modules() -> None:
    registry = programs.registry()
    assert set(registry) == {"platform_service", "social_insurance", "training"}
    for code, module in registry.items():
        assert code == module.CODE
        assert programs.get(code) is module
    assert programs.codes() == ("platform_service", "social_insurance", "training")
    assert programs.names() == {
        "platform_service": "就业创业服务补助",
        "social_insurance": "社会保险补贴",
        "training": "线上职业培训补贴",
    }
    assert parameters.UNITS.keys() >= {
        unit for m in registry.values() for unit in m.PARAMETERS.values()
    }
