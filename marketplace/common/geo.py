"""Distances and the spatial grid used to pre-filter by location.

Why a grid of integer cells rather than R*Tree or PostGIS: one indexed integer column works the
same on SQLite and PostgreSQL with no extension to install, and a circle of radius r becomes a
few contiguous cell ranges (one per grid row), each an index range scan (``cell BETWEEN a AND
b``). Cells are 0.01° (about 1.1 km north–south, 0.95 km east–west at 无锡 and 西宁's
latitudes), so a 5 km search reads about ten short ranges. Exact great-circle distances are then
computed for the survivors only — by the database in the shift search (``jobs.search``),
vectorised with numpy in matching's in-memory index — to filter and sort.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
CELL_DEGREES = 0.01
_COLUMNS = 36_000  # cells per grid row: 360° / CELL_DEGREES
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_AT_EQUATOR = 111.320
# Past this many grid rows a query is so wide that plain bounding-box bounds do as well.
MAX_ROW_RANGES = 80


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_km_many(
    lat: float, lon: float, lats: npt.ArrayLike, lons: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Distances from one point to many, in kilometres (vectorised)."""
    phis = np.radians(np.asarray(lats, dtype=np.float64))
    return haversine_km_prepared(lat, lon, phis, np.cos(phis), lons)


def haversine_km_prepared(
    lat: float,
    lon: float,
    phis: npt.NDArray[np.float64],
    cos_phis: npt.NDArray[np.float64],
    lons: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """``haversine_km_many`` with the many points' latitudes in radians and their cosines
    computed once beforehand (the same arithmetic: the same distances, to the last bit)."""
    phi1 = math.radians(lat)
    dphi = phis - phi1
    dlambda = np.radians(np.asarray(lons, dtype=np.float64) - lon)
    a = np.sin(dphi / 2) ** 2 + math.cos(phi1) * cos_phis * np.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _row(lat: float) -> int:
    return math.floor((min(max(lat, -90.0), 90.0) + 90.0) / CELL_DEGREES)


def _column(lon: float) -> int:
    return math.floor((min(max(lon, -180.0), 180.0) + 180.0) / CELL_DEGREES)


def cell_of(lat: float, lon: float) -> int:
    """The grid cell holding a point."""
    return _row(lat) * _COLUMNS + _column(lon)


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) enclosing the circle of ``radius_km`` around a point."""
    dlat = radius_km / KM_PER_DEGREE_LAT
    widest = min(89.9, max(abs(lat - dlat), abs(lat + dlat)))
    dlon = radius_km / (KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(widest)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def cell_ranges(lat: float, lon: float, radius_km: float) -> Sequence[tuple[int, int]]:
    """Contiguous cell ranges (inclusive) covering the circle: one per grid row.

    Empty when the circle spans more than ``MAX_ROW_RANGES`` rows; callers then fall back to
    the bounding box.
    """
    south, north, west, east = bounding_box(lat, lon, radius_km)
    first_row, last_row = _row(south), _row(north)
    if last_row - first_row + 1 > MAX_ROW_RANGES:
        return ()
    first_column, last_column = _column(west), _column(east)
    return tuple(
        (row * _COLUMNS + first_column, row * _COLUMNS + last_column)
        for row in range(first_row, last_row + 1)
    )


# A worker's home is kept to this many decimal places of a degree (about 110 m north–south and
# 95 m east–west here): enough for matching, whose distances it moves by at most some 70 m, and
# no door a copy of the database could point at.
HOME_PLACES = 3


def home_point(lat: float, lon: float) -> tuple[float, float]:
    """A worker's home base as it is stored: rounded to about a hundred metres."""
    return round(lat, HOME_PLACES), round(lon, HOME_PLACES)


# What an employer may learn of where a worker lives (API.md v1.1 "Where a worker lives"): the
# distance from the centre of the worker's square of this grid, rounded up to the next half
# kilometre. Measured from the worker's own door, the rounding would leak the door anyway: shifts
# posted at chosen places find where 1.0 km turns into 1.5 km. From the square's centre, such
# probing finds the centre, which says only which square (about 0.5 km a side) the home is in.
COARSE_SQUARE_DEGREES = 0.005
COARSE_KM = 0.5


def coarse_distance_km(
    lat: float, lon: float, lats: npt.ArrayLike, lons: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Distances from a point to many homes as employers see them (at least 0.5 km)."""
    square = COARSE_SQUARE_DEGREES
    centre_lats = (np.floor(np.asarray(lats, dtype=np.float64) / square) + 0.5) * square
    centre_lons = (np.floor(np.asarray(lons, dtype=np.float64) / square) + 0.5) * square
    exact = haversine_km_many(lat, lon, centre_lats, centre_lons)
    return np.maximum(np.ceil(exact / COARSE_KM), 1.0) * COARSE_KM
