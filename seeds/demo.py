"""A small, hand-written demo data set for 无锡 and 西宁.

Every demo account has the password ``DEMO_PASSWORD``; the README lists the phones.
"""

from __future__ import annotations

from marketplace.auth import services as auth_services

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 — published in the README on purpose

ACCOUNTS = [
    # (phone, role, city)
    ("13900000000", "admin", None),
    ("13900000001", "official", "wuxi"),
    ("13900000002", "official", "xining"),
    ("13800000001", "employer", None),
    ("13800000002", "employer", None),
    ("13800000003", "employer", None),
    ("13700000001", "broker", None),
    ("13600000001", "worker", None),
    ("13600000002", "worker", None),
    ("13600000003", "worker", None),
    ("13600000004", "worker", None),
    ("13600000005", "worker", None),
    ("13600000006", "worker", None),
]


def load() -> dict[str, int]:
    """Create the demo data in the current session (the caller commits)."""
    for phone, role, city in ACCOUNTS:
        auth_services.create_user(phone, DEMO_PASSWORD, role, city)
    return {"accounts": len(ACCOUNTS)}
