"""social_insurance: the cases of cases/social_insurance.toml."""

from __future__ import annotations

import pytest

from tests.subsidies import casefile


@pytest.mark.parametrize("case", casefile.load("social_insurance"))
def test_social_insurance(case: casefile.Case) -> None:
    """Each case: the expected proposals, idempotent, unchanged on later days."""
    casefile.check(case)
