"""The shortcuts a pool takes to rank a million workers fast change no distance and drop no one."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from marketplace.common import geo
from marketplace.matching import box, columns


def test_prepared_distances_equal_the_plain_ones_to_the_last_bit():
    rng = np.random.default_rng(19)
    lats, lons = rng.uniform(31.2, 31.9, 10_000), rng.uniform(119.9, 120.7, 10_000)
    phis = np.radians(lats)
    for lat, lon in [(31.49, 120.31), (31.2, 120.7), (31.9, 119.9)]:
        plain = geo.haversine_km_many(lat, lon, lats, lons)
        prepared = geo.haversine_km_prepared(lat, lon, phis, np.cos(phis), lons)
        assert np.array_equal(plain, prepared)
        # and a subset, computed on its own, is the same subset of the whole
        some = np.flatnonzero(rng.random(len(lats)) < 0.3)
        assert np.array_equal(
            geo.haversine_km_prepared(lat, lon, phis[some], np.cos(phis)[some], lons[some]),
            plain[some],
        )


@pytest.mark.parametrize(
    "lat, lon", [(31.49, 120.31), (-33.9, 151.2), (64.1, -21.9), (0.0, 179.95)]
)
def test_the_box_keeps_every_worker_within_reach(lat, lon):
    """Workers at just inside their reach, at every bearing and at due north, south, east and
    west (each band's tightest case), across the antimeridian too: every one the exact distance
    keeps, the box keeps."""
    rng = np.random.default_rng(7)
    n = 40_000
    reach = rng.uniform(0.5, 80, n)
    bearing = np.where(
        rng.random(n) < 0.5,
        rng.choice([0.0, math.pi / 2, math.pi, 3 * math.pi / 2], n),
        rng.uniform(0, 2 * math.pi, n),
    )
    angle = reach * rng.uniform(0.9999, 1.0, n) / geo.EARTH_RADIUS_KM
    phi1 = math.radians(lat)
    phi2 = np.arcsin(
        math.sin(phi1) * np.cos(angle) + math.cos(phi1) * np.sin(angle) * np.cos(bearing)
    )
    lons = lon + np.degrees(
        np.arctan2(
            np.sin(bearing) * np.sin(angle) * math.cos(phi1),
            np.cos(angle) - math.sin(phi1) * np.sin(phi2),
        )
    )
    lons = (lons + 180) % 360 - 180
    lats = np.degrees(phi2)
    within = geo.haversine_km_many(lat, lon, lats, lons) <= reach
    assert within.sum() > n * 0.9
    near = box.Box(lats, lons, reach).near(lat, lon)
    assert not np.any(within & ~near)
    # and it does rule out: the same workers at twice their reach
    far = box.Box(lats, lons, reach / 2.1).near(lat, lon)
    assert far.sum() < n * 0.6


def test_positions_are_found_by_binary_search_and_missing_ids_are_told():
    ids = np.array([3, 8, 20, 21, 90], dtype=np.int64)
    found, present = columns.positions(ids, [20, 4, 90, 3, 1000])
    assert present.tolist() == [True, False, True, True, False]
    assert found[present].tolist() == [2, 4, 0]


def _row(worker_id: int, windows: list[tuple[int, str, str]]) -> SimpleNamespace:
    return SimpleNamespace(
        id=worker_id,
        closed_at=None,
        city="wuxi",
        lat=31.5,
        lon=120.3,
        max_distance_km=10.0,
        reliability=None,
        rating=None,
        difficulty_certified_on=None,
        unemployment_registered_on=None,
        graduated_on=None,
        difficulty_ends_on=None,
        unemployed_ends_on=None,
        graduate_ends_on=None,
        availability=[{"weekday": d, "start": s, "end": e} for d, s, e in windows],
    )


def test_chunks_of_different_widths_join_padded_and_sorted_by_id():
    """Rows read in chunks, out of id order, one chunk with two windows on a day: the same
    arrays as one read of them all."""
    rows = [
        _row(7, [(0, "08:00", "12:00"), (0, "13:00", "18:00")]),
        _row(2, []),
        _row(5, [(3, "09:00", "17:30")]),
    ]
    chunked, whole = columns.Columns(), columns.Columns()
    chunked.add(rows[:1])
    chunked.add(rows[1:])
    whole.add(rows)
    joined, expected = chunked.arrays(), whole.arrays()
    assert joined["ids"].tolist() == [2, 5, 7]
    assert joined.keys() == expected.keys()
    for name, values in expected.items():
        assert np.array_equal(joined[name], values, equal_nan=values.dtype.kind == "f"), name
    starts, ends = joined["window_start"], joined["window_end"]
    assert starts.shape == (7, 3, 2)
    assert (starts[:, 0, 0].tolist(), ends[:, 0, 0].tolist()) == ([0] * 7, [1440] * 7)
    assert (starts[3, 1].tolist(), ends[3, 1].tolist()) == ([540, 1], [1050, 0])
    assert (starts[0, 2].tolist(), ends[0, 2].tolist()) == ([480, 780], [720, 1080])
