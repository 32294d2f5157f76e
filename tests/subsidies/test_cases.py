"""Every programme meets its cases (``cases/<code>.toml``), found from the programme registry.

A new programme's cases run without a test module of their own; a programme without a case
file, or a case file without a programme, fails.
"""

from __future__ import annotations

import pytest

from marketplace.subsidies.rules import programs
from tests.subsidies import casefile


@pytest.mark.parametrize(
    "case", [case for code in programs.codes() for case in casefile.load(code)]
)
def test_each_programme_meets_its_cases(case: casefile.Case) -> None:
    """Each case: the expected proposals, idempotent, unchanged on later days."""
    casefile.check(case)


def test_every_programme_has_a_case_file_and_every_case_file_a_programme() -> None:
    assert {path.stem for path in casefile.CASES.glob("*.toml")} == set(programs.codes())
