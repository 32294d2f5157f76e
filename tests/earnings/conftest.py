"""The subsidy tests' fixtures (frozen July 2026, people, admins) serve the earnings tests too."""

from tests.subsidies.conftest import admin, frozen_clock, person, shift_of, wuxi_official

__all__ = ["admin", "frozen_clock", "person", "shift_of", "wuxi_official"]
