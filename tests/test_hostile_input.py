"""No 500 for any input, and a refused request changes nothing (contract v1.1, "Input").

Hypothesis throws at every operation of the API — as every role, at seeded and made-up ids —
what a careless client or an attacker sends: arbitrary bytes, invalid UTF-8, lone surrogates,
JSON nested thousands deep, ``NaN``, integers of thousands of digits, control characters, bidi
overrides, full-width digits, white space, over-long strings and URLs, odd headers. Each answer
must be no server error; a 4xx must be the error body and leave every table as it was (but the
records that throttle failed sign-ins and booking attempts, which refusals write on purpose).

Bounded in CI (``HOSTILE_MAX_EXAMPLES``, 150); ``make fuzz`` runs it far longer, with new inputs.
``test_input_rules.py`` pins each finding of the attack review as a plain test.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketplace.extensions import db
from tests.seeded_market import ROLES, Market, connection, market

pytestmark = pytest.mark.slow  # fuzzing: `make test-fast` leaves it out

__all__ = ["connection", "market"]  # the seeded market's fixtures, used here

MAX_EXAMPLES = int(os.environ.get("HOSTILE_MAX_EXAMPLES", "150"))
DERANDOMIZE = os.environ.get("FUZZ_RANDOM", "") != "1"
# Written by refused requests on purpose: the throttles' records.
THROTTLE_TABLES = {"login_failures", "booking_attempts"}
FIELD_NAMES = (
    "name",
    "title",
    "description",
    "reason",
    "comment",
    "address",
    "phone",
    "password",
    "old",
    "new",
    "id_number",
    "credit_code",
    "city",
    "district",
    "category",
    "hours",
    "hourly_wage",
    "paid_at",
    "starts_at",
    "month",
    "lat",
    "lon",
    "stars",
    "decision",
    "source",
    "skills",
    "shift_ids",
    "records",
    "as_of",
    "headcount",
)
QUERY_NAMES = ("page", "per_page", "status", "city", "month", "reveal", "reason", "format")
NASTY_TEXT = (
    "\x00",
    "a\x00b",
    "\u0007bell",
    "line\r\nbreak",
    "\u202eevil",
    "   ",
    "１３８００１３８０００",
    "13800138000\n",
    "٣٢٠٢٠٢١٩٩٠٠١٠١١٢٣X",
    "＝1+1",
    "=cmd|' /C calc'!A0",
    "9" * 5000,
    "名" * 3000,
    "../../etc/passwd",
    "'; DROP TABLE users; --",
    "%s%s%s%n",
    "NaN",
    "-1",
    "0",
    "2026-02-30",
    "9999-12-31T23:59:59+08:00",
)
nasty_strings = st.sampled_from(NASTY_TEXT) | st.text(max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_strings,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes | None:
    """A request body: hostile JSON text, or bytes that are no JSON (or no UTF-8) at all."""
    kind = draw(st.sampled_from(["none", "object", "value", "deep", "surrogate", "raw", "huge"]))
    if kind == "none":
        return None
    if kind == "object":
        fields = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=6))
        return json.dumps(fields, ensure_ascii=draw(st.booleans())).encode()
    if kind == "value":
        return json.dumps(draw(json_values)).encode()
    if kind == "deep":
        depth = draw(st.sampled_from([31, 32, 33, 100, 5000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return (opener * depth + "1" + closer * depth).encode()
    if kind == "surrogate":
        field = draw(st.sampled_from(FIELD_NAMES))
        return f'{{"{field}": "\\ud800 {draw(st.text(max_size=5))}"}}'.encode()
    if kind == "huge":
        return b'{"hours": ' + b"9" * draw(st.sampled_from([5000, 20000])) + b"}"
    return draw(st.binary(max_size=60))


def _operations(app: Flask) -> list[tuple[str, str]]:
    """Every (method, rule) of the JSON API."""
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and "docs" not in rule.rule
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    )


def _fingerprint() -> str:
    """A digest of every row of every table but the throttles'."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        if table.name in THROTTLE_TABLES:
            continue
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


@pytest.fixture
def hostile_state(app: Flask, connection: Any, market: Market) -> Iterator[Market]:
    with app.app_context():
        yield market


HOSTILE_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HOSTILE_SETTINGS
@given(data=st.data())
def test_no_input_answers_500_and_a_refusal_changes_nothing(
    app: Flask, connection: Any, hostile_state: Market, data: st.DataObject
) -> None:
    market = hostile_state
    method, rule = data.draw(st.sampled_from(_operations(app)), label="operation")
    path = rule
    for part in rule.split("<")[1:]:
        name = part.split(">")[0]
        parameter = name.split(":")[-1]
        seeded = market.ids.get(parameter, [1])
        value = data.draw(st.sampled_from(seeded) | st.integers(1, 2**31 - 1), label=parameter)
        path = path.replace(f"<{name}>", str(value))
    query = data.draw(
        st.dictionaries(st.sampled_from(QUERY_NAMES), nasty_strings, max_size=3), label="query"
    )
    if query:
        path += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    role = data.draw(st.sampled_from(ROLES), label="role")
    headers = {"Content-Type": "application/json"}
    if role != "anonymous":
        headers["Authorization"] = f"Bearer {market.tokens[role]}"
    if data.draw(st.booleans(), label="idempotency key"):
        headers["Idempotency-Key"] = data.draw(st.sampled_from(["k1", "\u00e9t\u00e9", "x" * 300]))
    body = data.draw(bodies(), label="body")

    savepoint = connection.begin_nested()
    try:
        before = _fingerprint()
        response = app.test_client().open(path, method=method, data=body, headers=headers)
        assert response.status_code < 500, (method, path, response.get_data(as_text=True))
        if response.status_code >= 400:
            error = response.get_json()
            assert error["code"] == response.status_code and error["message"], error
            db.session.remove()
            assert _fingerprint() == before, (method, path, response.status_code, error)
    finally:
        db.session.remove()
        savepoint.rollback()
