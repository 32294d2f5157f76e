"""Which workers may be within their reach of a point: a cheap test that drops none who are.

The exact distance (``geo.haversine_km_prepared``) costs two sines per worker; over a million
workers it was most of a request. This box, float32 and without a sine per worker, leaves it only
the workers it cannot rule out. With ``a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2)`` and the
distance ``d = 2R · asin(√a)``:

- latitude: ``d >= R · |Δφ|``, so a worker with ``R · |Δφ| > reach`` is out of reach;
- longitude: ``d <= reach`` gives ``a <= sin²(reach / 2R) <= (reach / 2R)²``, and
  ``a >= cos φ1 · cos φ2 · sin²(x)`` with ``x = |Δλ| / 2`` (or π minus it: the same sine), where
  ``sin x >= x · (1 - x² / 6)`` on [0, π/2]; a worker for whom that lower bound passes
  ``(reach / 2R)²`` is out of reach.

Both with a margin of 10 m added to each reach: float32 rounding at a city's coordinates (a few
ulps of a degree) moves a distance by about a metre at most.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from marketplace.common.geo import EARTH_RADIUS_KM

MARGIN_KM = 0.01
F32 = np.float32


class Box:
    """The float32 columns the test reads, one value per worker."""

    def __init__(
        self,
        lat: npt.NDArray[np.float64],
        lon: npt.NDArray[np.float64],
        reach: npt.NDArray[np.float64],
    ) -> None:
        phi = np.radians(lat)
        self.phi = phi.astype(F32)
        self.cos_phi = np.cos(phi).astype(F32)
        self.lon = lon.astype(F32)
        # Half the angle each reach (and the margin) spans at the centre of the earth.
        self.half_angle = ((reach + MARGIN_KM) / (2 * EARTH_RADIUS_KM)).astype(F32)

    def near(self, lat: float, lon: float) -> npt.NDArray[np.bool_]:
        """Whether each worker may be within its reach of (``lat``, ``lon``): False only for
        workers who certainly are not."""
        phi1 = math.radians(lat)
        near = np.abs(self.phi - F32(phi1)) <= 2 * self.half_angle
        x = np.abs(self.lon - F32(lon))
        x *= F32(math.pi / 360)
        np.minimum(x, F32(math.pi) - x, out=x)
        low = x * (F32(1) - x * x / F32(6))
        low *= low
        low *= self.cos_phi
        low *= F32(math.cos(phi1))
        near &= low <= self.half_angle * self.half_angle
        return near
