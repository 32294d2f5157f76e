"""Who may see a shift's candidates and plan its places."""

from __future__ import annotations

from marketplace.auth.models import User
from marketplace.brokers import delegations
from marketplace.errors import Forbidden
from marketplace.jobs.models import Shift


def require_shift_side(user: User, shift: Shift) -> None:
    """Only the shift's employer, its delegated brokers and admins see its candidates."""
    if user.role == "admin":
        return
    if (
        user.role not in ("employer", "broker")
        or delegations.may_act_for(user, shift.job.employer_id) is None
    ):
        raise Forbidden("only the shift's employer, its brokers or an admin may see candidates")
