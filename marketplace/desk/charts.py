"""Bar charts drawn on the server as SVG geometry: no script, no library, no network.

A chart is a list of bars already scaled to the drawing; the template only places them. Values
stay exact Decimals until the one division that turns them into lengths on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# The drawing area of a column chart, in SVG user units (the page scales it).
COLUMN_WIDTH = 540
COLUMN_HEIGHT = 240
COLUMN_BASELINE = 200  # y of the axis; labels sit below it
COLUMN_TOP = 24  # room above the tallest column for its value
# A bar chart (horizontal bars, one per row).
BAR_WIDTH = 540
BAR_ROW = 28
BAR_LABEL = 150  # room on the left for the row's label
BAR_VALUE = 60  # room on the right for the value


@dataclass(frozen=True)
class Bar:
    """One bar: its box in the drawing, its label and its value as text."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Chart:
    """A chart ready to draw: its size, its bars and a title for screen readers."""

    title: str
    width: int
    height: int
    bars: list[Bar]
    kind: str  # "columns" or "bars"
    baseline: int = 0  # y of the axis of a column chart

    @property
    def empty(self) -> bool:
        """Whether every value is zero (the page says so instead of drawing nothing)."""
        return all(bar.width == 0 or bar.height == 0 for bar in self.bars)


def _share(value: Decimal, largest: Decimal) -> float:
    return float(value / largest) if largest > 0 else 0.0


def columns(title: str, points: list[tuple[str, Decimal]], places: int = 2) -> Chart:
    """A column per point (label, value), the largest reaching the top of the drawing."""
    largest = max((value for _, value in points), default=Decimal(0))
    slot = COLUMN_WIDTH / max(len(points), 1)
    reach = COLUMN_BASELINE - COLUMN_TOP
    bars = []
    for index, (label, value) in enumerate(points):
        height = reach * _share(value, largest)
        bars.append(
            Bar(
                x=round(index * slot + slot * 0.15, 2),
                y=round(COLUMN_BASELINE - height, 2),
                width=round(slot * 0.7, 2),
                height=round(height, 2),
                label=label,
                value=f"{value:.{places}f}",
            )
        )
    return Chart(title, COLUMN_WIDTH, COLUMN_HEIGHT, bars, "columns", COLUMN_BASELINE)


def bars(title: str, rows: list[tuple[str, Decimal]], places: int = 0) -> Chart:
    """A horizontal bar per row (label, value), the largest filling the width."""
    largest = max((value for _, value in rows), default=Decimal(0))
    reach = BAR_WIDTH - BAR_LABEL - BAR_VALUE
    drawn = [
        Bar(
            x=BAR_LABEL,
            y=index * BAR_ROW + 4,
            width=round(reach * _share(value, largest), 2),
            height=BAR_ROW - 8,
            label=label,
            value=f"{value:.{places}f}",
        )
        for index, (label, value) in enumerate(rows)
    ]
    return Chart(title, BAR_WIDTH, max(len(rows), 1) * BAR_ROW, drawn, "bars")
