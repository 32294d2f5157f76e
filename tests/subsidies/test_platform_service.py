"""platform_service: the cases of cases/platform_service.toml."""

from __future__ import annotations

import pytest

from tests.subsidies import casefile


@pytest.mark.parametrize("case", casefile.load("platform_service"))
def test_platform_service(case: casefile.Case) -> None:
    """Each case: the expected proposals, idempotent, unchanged on later days."""
    casefile.check(case)
