"""Officials read a policy in Chinese: every parameter has a Chinese name, every article is Chinese.

The identifiers (``rate_per_class_hour``) and English notes stay in the code; what the desk, the
API's policy list and a flag's explanation quote is the label and the article (锡政办发〔2021〕26号
"依据说明" must not read "**reading**: …").
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from marketplace.subsidies.policy import catalogue, labels
from marketplace.subsidies.policy.files import POLICY_PARAMETERS
from marketplace.subsidies.rules import programs

LATIN = re.compile("[A-Za-z]")


def test_every_parameter_a_programme_reads_has_a_chinese_label() -> None:
    names = set(POLICY_PARAMETERS)
    for code in programs.codes():
        names |= set(programs.get(code).PARAMETERS)
    missing = sorted(names - labels.LABELS.keys())
    assert missing == []
    assert [name for name in names if LATIN.search(labels.label(name))] == []


def test_a_parameter_without_a_label_is_refused_not_shown_as_its_identifier() -> None:
    with pytest.raises(KeyError):
        labels.label("a_parameter_nobody_named")


@pytest.mark.parametrize("policy", catalogue.load_policies(), ids=lambda policy: policy.id)
def test_every_article_of_the_policy_files_is_chinese(policy: catalogue.Policy) -> None:
    parameters = list(policy.parameters)
    for program in policy.programs:
        parameters += program.parameters
    english = [
        (parameter.name, entry.article)
        for parameter in parameters
        for entry in parameter.values
        if LATIN.search(entry.article)
    ]
    assert english == []


def test_values_read_in_words() -> None:
    assert labels.shown("boolean", True) == "是"
    assert labels.shown("boolean", False) == "否"
    assert labels.shown("rounding", "ROUND_HALF_UP") == "四舍五入"
    assert labels.shown("reference", "minimum_wage.monthly") == "当月1日施行的本市月最低工资标准"
    assert labels.shown("CNY", Decimal("18.50")) == "18.50"  # the digits of the file


def test_every_rounding_and_reference_a_file_may_name_reads_in_words() -> None:
    assert all(not LATIN.search(words) for words in labels.ROUNDINGS.values())
    assert all(not LATIN.search(words) for words in labels.REFERENCES.values())
