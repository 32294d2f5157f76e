"""The scale benchmark's tooling (issue #19): its window counts every request in it, and its
table marks each goal against the largest market, saying so when a measure is missing."""

from __future__ import annotations

import itertools
import json

from bench import scale


def test_a_window_times_requests_until_its_end_and_keeps_the_first():
    requested: list[int] = []
    measured = scale.window(
        lambda shift_id: requested.append(shift_id) or 0,
        itertools.count(1),
        seconds=0.05,
        samples=[1500.0],  # the request that built the index
    )
    assert measured["first_ms"] == 1500.0
    assert measured["samples"] == len(requested) + 1 >= 3
    assert measured["max_ms"] == 1500.0


def test_the_table_marks_each_goal_at_the_largest_market(tmp_path, monkeypatch):
    def result(workers: int, candidates: float, evaluation: float | None) -> dict:
        return {
            "workers": workers,
            "seed": {"seconds": 20.0, "peak_rss_mb": 180},
            "candidates_steady": {"p50_ms": candidates},
            "candidates_after_load": {"p50_ms": candidates},
            "candidates_after_update": {"p50_ms": candidates * 10, "p95_ms": candidates * 20},
            "search": {"p50_ms": 4.0},
            "index_tracemalloc": {"kept_mb": workers // 5000},
            "index_rss_mb": {"grew": workers // 4000},
            **({} if evaluation is None else {"evaluation": {"seconds": evaluation}}),
        }

    (tmp_path / "scale.json").write_text(
        json.dumps(
            {
                "sqlite-100000": result(100_000, 10.0, 14.0),
                "sqlite-1000000": result(1_000_000, 20.0, 200.0),
            }
        )
    )
    monkeypatch.setattr(scale, "RESULTS", tmp_path)
    rows = {line.split(" | ")[0].strip("| "): line for line in scale.table().splitlines()}
    assert rows["candidates p50, steady"].endswith(
        "| 10.0 ms | 20.0 ms | ≤ 50 ms (moonshot ≤ 10) | met |"
    )
    assert rows["candidates p50, first 60 s after a bulk update"].endswith("| not met |")
    assert rows["index memory (tracemalloc, kept)"].endswith("| 200 MB | ≤ 300 MB | met |")
    assert rows["evaluation growth from the smallest"].endswith("| 14.3 × | ≤ ×11 | not met |")
    assert rows["seed: wall time"].endswith("| — | — |")


def test_a_reused_market_is_the_one_an_earlier_run_stored(tmp_path, monkeypatch):
    monkeypatch.setattr(scale, "RESULTS", tmp_path)
    assert scale.earlier_result("sqlite", 1000) is None  # nothing measured yet
    (tmp_path / "scale.json").write_text(json.dumps({"sqlite-1000": {"date": "d", "seed": {}}}))
    assert scale.earlier_result("sqlite", 1000) == {"date": "d", "seed": {}}
    assert scale.earlier_result("postgres", 1000) is None
