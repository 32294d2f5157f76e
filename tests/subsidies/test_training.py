"""training: the cases of cases/training.toml."""

from __future__ import annotations

import pytest

from tests.subsidies import casefile


@pytest.mark.parametrize("case", casefile.load("training"))
def test_training(case: casefile.Case) -> None:
    """Each case: the expected proposals, idempotent, unchanged on later days."""
    casefile.check(case)
