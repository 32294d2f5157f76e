"""Workers' rows as column arrays, read chunk by chunk, sorted by id.

A city's workers are read in partitions (``Columns.add`` per chunk of rows), each turned into
arrays at once and its rows dropped, so that building an index of a million workers never holds a
million rows with their decoded availability at once. ``Columns.arrays`` joins the chunks (the
availability windows padded to the widest) and sorts every array by worker id, so that a worker's
position is a binary search (``np.searchsorted``), not a dict of a million entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from marketplace.matching import scoring
from marketplace.workers import availability

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# Every column but the windows, with the dtype it is held in. Floats stay float64: rankings must
# equal the database's (the same arithmetic on the same values). Month indexes fit int32 (a
# month never reached is 10**9).
DTYPES: dict[str, type[np.generic]] = {
    "ids": np.int64,
    "open": np.bool_,
    "city": np.int16,
    "lat": np.float64,
    "lon": np.float64,
    "reach": np.float64,
    "reliability": np.float64,
    "rating": np.float64,
    "difficulty_from": np.int32,
    "difficulty_to": np.int32,
    "unemployed_from": np.int32,
    "unemployed_to": np.int32,
    "graduate_from": np.int32,
    "graduate_to": np.int32,
    "change_stamp": np.int64,
    "updated_us": np.int64,
}
MONTHS = {
    "difficulty_from": "difficulty_certified_on",
    "difficulty_to": "difficulty_ends_on",
    "unemployed_from": "unemployment_registered_on",
    "unemployed_to": "unemployed_ends_on",
    "graduate_from": "graduated_on",
    "graduate_to": "graduate_ends_on",
}
STAMPS = ("change_stamp", "updated_us")


def epoch_microseconds(instant: datetime) -> int:
    """An aware instant as whole microseconds since 1970 (exact, unlike a float)."""
    return (instant - EPOCH) // MICROSECOND


def _chunk(rows: Sequence[Any], cities: dict[str, int], stamped: bool) -> dict[str, np.ndarray]:
    n = len(rows)

    def column(name: str, values: Any) -> np.ndarray:
        return np.fromiter(values, dtype=DTYPES[name], count=n)

    chunk = {
        "ids": column("ids", (r.id for r in rows)),
        # A closed account's row may still come (the index replaces it with its fresh one).
        "open": column("open", (r.closed_at is None for r in rows)),
        "city": column("city", (cities.setdefault(r.city, len(cities)) for r in rows)),
        "lat": column("lat", (r.lat for r in rows)),
        "lon": column("lon", (r.lon for r in rows)),
        "reach": column("reach", (r.max_distance_km for r in rows)),
        "reliability": column(
            "reliability", (np.nan if r.reliability is None else r.reliability for r in rows)
        ),
        "rating": column("rating", (np.nan if r.rating is None else float(r.rating) for r in rows)),
    }
    for name, attribute in MONTHS.items():
        chunk[name] = column(name, (scoring.month_index(getattr(r, attribute)) for r in rows))
    if stamped:
        chunk["change_stamp"] = column("change_stamp", (r.change_stamp for r in rows))
        chunk["updated_us"] = column("updated_us", (epoch_microseconds(r.updated_at) for r in rows))
    chunk["window_start"], chunk["window_end"] = _windows(rows)
    return chunk


def _windows(rows: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Windows per weekday and worker, padded: starts/ends in minutes, shape (7, n, width)
    (a weekday's windows side by side in memory: matching reads one weekday at a time)."""
    n = len(rows)
    minutes: dict[str, int] = {}
    unbounded: list[int] = []
    at: list[int] = []
    days: list[int] = []
    slots: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, row in enumerate(rows):
        if not row.availability:
            unbounded.append(i)
            continue
        used = [0] * 7
        for window in row.availability:
            day = window["weekday"]
            at.append(i)
            days.append(day)
            slots.append(used[day])
            used[day] += 1
            for clock_time, into in ((window["start"], starts), (window["end"], ends)):
                if clock_time not in minutes:
                    minutes[clock_time] = availability.clock_minutes(clock_time)
                into.append(minutes[clock_time])
    width = max(slots, default=0) + 1
    start = np.full((7, n, width), 1, dtype=np.int16)
    end = np.zeros((7, n, width), dtype=np.int16)  # empty: start > end
    start[:, unbounded, 0], end[:, unbounded, 0] = 0, 1440
    start[days, at, slots], end[days, at, slots] = starts, ends
    return start, end


class Columns:
    """The arrays of workers read so far, a chunk at a time."""

    def __init__(self, stamped: bool = False) -> None:
        self.stamped = stamped
        self.cities: dict[str, int] = {}
        self._chunks: list[dict[str, np.ndarray]] = []

    def add(self, rows: Sequence[Any]) -> None:
        """One chunk of rows (``pool.WORKER_COLUMNS``, and the stamps when ``stamped``)."""
        if rows:
            self._chunks.append(_chunk(rows, self.cities, self.stamped))

    def arrays(self) -> dict[str, np.ndarray]:
        """Every column of every chunk, joined, sorted by worker id (the chunks are dropped)."""
        names = [name for name in DTYPES if self.stamped or name not in STAMPS]
        chunks, self._chunks = self._chunks, []
        n = sum(len(chunk["ids"]) for chunk in chunks)
        width = max([1] + [chunk["window_start"].shape[2] for chunk in chunks])
        joined = {name: np.empty(n, dtype=DTYPES[name]) for name in names}
        joined["window_start"] = np.full((7, n, width), 1, dtype=np.int16)
        joined["window_end"] = np.zeros((7, n, width), dtype=np.int16)
        at = 0
        while chunks:
            chunk = chunks.pop(0)
            size = len(chunk["ids"])
            for name in names:
                joined[name][at : at + size] = chunk[name]
            chunk_width = chunk["window_start"].shape[2]
            joined["window_start"][:, at : at + size, :chunk_width] = chunk["window_start"]
            joined["window_end"][:, at : at + size, :chunk_width] = chunk["window_end"]
            at += size
        ids = joined["ids"]
        if n > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            order = np.argsort(ids, kind="stable")
            for name, values in joined.items():
                joined[name] = values[:, order] if name.startswith("window") else values[order]
        return joined


IntArray = npt.NDArray[np.int64]


def positions(ids: IntArray, worker_ids: npt.ArrayLike) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Where each of ``worker_ids`` is in the sorted ``ids``, and whether it is there at all
    (a missing id's position is meaningless)."""
    wanted = np.asarray(worker_ids, dtype=np.int64)
    found = np.searchsorted(ids, wanted)
    inside = found < len(ids)
    present = np.zeros(len(wanted), dtype=bool)
    present[inside] = ids[found[inside]] == wanted[inside]
    return found.astype(np.int64), present
