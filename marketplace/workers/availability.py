"""Weekly availability: the exact rule, and half-hour bit masks the database can pre-filter on.

A worker's availability is a list of weekly windows (city time); an empty list means any time.
A shift fits when every part of it, day by day, lies inside one window of that weekday.

The masks: for each weekday, bit ``n`` is set when some window touches the half hour
``[n/2 h, (n+1)/2 h)``. A shift needs the bits of every half hour it touches. If a shift fits,
every half hour it touches is touched by the window holding it, so ``needed & ~mask == 0``:
the masks never exclude a worker the exact rule would accept, and the exact rule then decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SLOTS_PER_DAY = 48
ALL_DAY = (1 << SLOTS_PER_DAY) - 1
WEEKDAYS = range(7)
MASK_COLUMNS = tuple(f"available_{day}" for day in WEEKDAYS)


def clock_minutes(clock_time: str) -> int:
    """Minutes since midnight of an "HH:MM" (or "24:00") clock time."""
    hours, minutes = clock_time.split(":")
    return int(hours) * 60 + int(minutes)


def _slots(start_minute: int, end_minute: int) -> int:
    """The bits of the half hours that [start, end) touches."""
    if end_minute <= start_minute:
        return 0
    first, last = start_minute // 30, (end_minute - 1) // 30
    return ((1 << (last + 1)) - 1) ^ ((1 << first) - 1)


def masks(windows: Sequence[Mapping[str, Any]]) -> tuple[int, ...]:
    """The seven weekday masks of a worker's windows (all set when there are none)."""
    if not windows:
        return (ALL_DAY,) * 7
    result = [0] * 7
    for window in windows:
        result[window["weekday"]] |= _slots(
            clock_minutes(window["start"]), clock_minutes(window["end"])
        )
    return tuple(result)


def day_segments(
    starts_at: datetime, ends_at: datetime, timezone: str
) -> list[tuple[int, int, int]]:
    """The shift cut at local midnights: (weekday, start minute, end minute) per day."""
    zone = ZoneInfo(timezone)
    local_start, local_end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    segments = []
    day = local_start.date()
    while True:
        day_start = datetime.combine(day, time(0), tzinfo=zone)
        next_day = day_start + timedelta(days=1)
        start = max(local_start, day_start)
        end = min(local_end, next_day)
        if start < end:
            start_minute = int((start - day_start).total_seconds() // 60)
            end_minute = int((end - day_start).total_seconds() // 60 + 0.999)
            segments.append((day.weekday(), start_minute, end_minute))
        if local_end <= next_day:
            return segments
        day += timedelta(days=1)


def needed_masks(segments: Iterable[tuple[int, int, int]]) -> dict[int, int]:
    """For each weekday the shift touches, the bits it needs."""
    needed: dict[int, int] = {}
    for weekday, start, end in segments:
        needed[weekday] = needed.get(weekday, 0) | _slots(start, end)
    return needed


def fits(windows: Sequence[Mapping[str, Any]], segments: Iterable[tuple[int, int, int]]) -> bool:
    """The exact rule: every segment lies inside one window of its weekday."""
    if not windows:
        return True
    for weekday, start, end in segments:
        if not any(
            window["weekday"] == weekday
            and clock_minutes(window["start"]) <= start
            and end <= clock_minutes(window["end"])
            for window in windows
        ):
            return False
    return True
