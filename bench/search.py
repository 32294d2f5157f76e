"""Shift search latency at city scale: p50/p95 of GET /api/v1/shifts around random points."""

from __future__ import annotations

import platform
import random
from typing import Any

from flask import Flask

from bench.harness import fresh_app, percentiles, save, seed, timed
from marketplace.auth import services as auth_services
from marketplace.extensions import db
from seeds.places import CATEGORIES, DISTRICTS

RADII_KM = (3.0, 5.0, 10.0)


SEARCHER_PHONE = "16600000001"


def _token(app: Flask) -> str:
    with app.app_context():
        # A market measured again (bench scale --reuse) has its searcher already.
        user = auth_services.find_by_phone(SEARCHER_PHONE) or auth_services.create_user(
            SEARCHER_PHONE, "benchmark-pass", "worker"
        )
        token = auth_services.create_token(user).access_token
        db.session.commit()
    return token


def _queries(city: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    queries = []
    for _ in range(count):
        _, lat, lon, _ = rng.choices(DISTRICTS[city], weights=[d[3] for d in DISTRICTS[city]])[0]
        query: dict[str, Any] = {
            "lat": round(rng.gauss(lat, 0.02), 5),
            "lon": round(rng.gauss(lon, 0.02), 5),
            "radius_km": rng.choice(RADII_KM),
            "per_page": 20,
        }
        if rng.random() < 0.5:
            query["category"] = rng.choice(CATEGORIES[city])[0]
        queries.append(query)
    return queries


def measure(app: Flask, city: str = "wuxi", repeat: int = 300, warmup: int = 30) -> dict:
    """Time ``repeat`` searches around random points of ``city`` on an already seeded app."""
    headers = {"Authorization": f"Bearer {_token(app)}"}
    client = app.test_client()
    queries = iter(_queries(city, repeat + warmup, random.Random(2)))
    found: list[int] = []

    def one() -> None:
        response = client.get("/api/v1/shifts", query_string=next(queries), headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        found.append(len(response.get_json()))

    samples = timed(one, repeat=repeat, warmup=warmup)
    return {"mean_results_per_page": round(sum(found) / len(found), 1), **percentiles(samples)}


def run(backend: str, workers: int, shifts: int, city: str = "wuxi", repeat: int = 300) -> dict:
    """Seed a market of ``workers`` and ``shifts`` and time the search over it."""
    with fresh_app(backend, f"search-{workers}") as app:
        seconds = seed(app, city, workers, shifts, months=0, seed_value=1)
        measured = measure(app, city, repeat)
    result = {
        "backend": backend,
        "workers": workers,
        "shifts": shifts,
        "seed_seconds": round(seconds, 1),
        "mean_results_per_page": measured.pop("mean_results_per_page"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        **measured,
    }
    save("search", f"{backend}-{workers}", result)
    return result
