"""The one place that reads the current time (tests freeze it with time-machine)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Both cities keep China Standard Time; a city with another zone names it in cities.toml.
DEFAULT_TIMEZONE = "Asia/Shanghai"


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def local_now(timezone: str = DEFAULT_TIMEZONE) -> datetime:
    """The current instant on the wall clocks of ``timezone``."""
    return now().astimezone(ZoneInfo(timezone))


def today(timezone: str = DEFAULT_TIMEZONE) -> date:
    """Today's date in ``timezone`` (a city's days and months run on its local time)."""
    return local_now(timezone).date()


def local_date(instant: datetime, timezone: str = DEFAULT_TIMEZONE) -> date:
    """The date of ``instant`` on the wall clocks of ``timezone``."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def week_of(instant: datetime, timezone: str = DEFAULT_TIMEZONE) -> tuple[datetime, datetime]:
    """The calendar week (Monday 00:00 to the next Monday 00:00, local time) of ``instant``."""
    zone = ZoneInfo(timezone)
    local = instant.astimezone(zone)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), zone)
    return monday, monday + timedelta(days=7)


def local_text(instant: datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """``instant`` as local wall-clock text to the second, for people (files, pages)."""
    return instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M:%S")
