"""The city a load run works on, and the requests of its mix, written out for wrk.

A synthetic city (``seeds.synthetic``) plus what the mix needs on top of it:

- every worker and every employer holds an access token (stored hashed, as the app issues them);
- *booking targets*: open part-time shifts tomorrow with room for every worker, needing no skill,
  so that a booking in the mix is a real, successful booking and never "full" or "overlaps";
  the booking lines take the targets in turn;
- *shifts under way*: full-time day shifts that started minutes ago, each worker confirmed on
  one, so that a check-in falls inside its window (``bookings.attendance``: from 30 minutes
  before the start until the end) and is sent from within the 500 m geofence.

Times come from ``marketplace.clock``. Rows are written the way the seed writes its own (the
driver's COPY), places counted in ``shifts.booked`` exactly as the booking service would.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select

from marketplace import clock
from marketplace.auth.models import AccessToken
from marketplace.bookings.models import Booking
from marketplace.cities import catalogue, wages
from marketplace.common import geo
from marketplace.employers.models import Employer
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift
from marketplace.workers.models import Worker
from seeds import synthetic
from seeds.places import CATEGORIES, DISTRICTS

TOKEN_LIFETIME = timedelta(hours=24)
# Places per booking-target shift and workers per shift under way.
TARGET_HEADCOUNT = 500
UNDER_WAY_HEADCOUNT = 100
SEARCH_RADII_KM = (3.0, 5.0, 10.0)
# Distinct search and candidates requests each run cycles through.
VARIETY = 2000


@dataclass(frozen=True)
class Prepared:
    """What the city holds for the mix: how many of each request kind were written."""

    lines: dict[str, int]


def _tokens(writer: synthetic.BulkWriter, user_ids: list[int], now: datetime) -> list[str]:
    """A fresh bearer token for each user, in the same order."""
    tokens = [secrets.token_urlsafe(32) for _ in user_ids]
    writer.insert(
        AccessToken.__table__,
        [
            {
                "user_id": user_id,
                "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                "created_at": now,
                "expires_at": now + TOKEN_LIFETIME,
                "revoked_at": None,
            }
            for user_id, token in zip(user_ids, tokens, strict=True)
        ],
        "access tokens",
    )
    return tokens


def _jobs(
    writer: synthetic.BulkWriter,
    rng: random.Random,
    city: str,
    employers: list[tuple[int, int]],
    starts: list[datetime],
    hours: int,
    headcount: int,
    booked: list[int],
    employment_type: str,
    label: str,
) -> list[dict[str, Any]]:
    """One job with one shift for each start, ``booked`` places already held on each.

    Answers the shifts, each with its job's employer and place.
    """
    place = catalogue.find(city)
    assert place is not None
    minimum = wages.in_force(city, clock.today(place.timezone) + timedelta(days=1))
    assert minimum is not None
    now = clock.now()
    job_ids = writer.allocate_ids(Job.__table__, len(starts))
    jobs, shifts = [], []
    for job_id, start, taken in zip(job_ids, starts, booked, strict=True):
        district, lat, lon, _ = rng.choices(
            DISTRICTS[city], weights=[d[3] for d in DISTRICTS[city]]
        )[0]
        lat, lon = round(rng.gauss(lat, 0.03), 6), round(rng.gauss(lon, 0.03), 6)
        employer_id, user_id = rng.choice(employers)
        category, _skills = rng.choice(CATEGORIES[city])
        jobs.append(
            {
                "id": job_id,
                "employer_id": employer_id,
                "posted_by": user_id,
                "broker_id": None,
                "title": f"{category}·{district}·{label}",
                "description": "",
                "category": category,
                "employment_type": employment_type,
                "hourly_wage": round(minimum.hourly * 100) + 300,
                "requires_approval": False,
                "city": city,
                "district": district,
                "address": f"{place.name}{district}",
                "lat": lat,
                "lon": lon,
                "cell": geo.cell_of(lat, lon),
                "created_at": now,
                "cancelled_at": None,
            }
        )
        shifts.append(
            {
                "job_id": job_id,
                "starts_at": start,
                "ends_at": start + timedelta(hours=hours),
                "headcount": headcount,
                "booked": taken,
                "cancelled_at": None,
            }
        )
    writer.insert(Job.__table__, jobs, f"{label} jobs")
    shift_ids = writer.allocate_ids(Shift.__table__, len(shifts))
    for shift_id, shift in zip(shift_ids, shifts, strict=True):
        shift["id"] = shift_id
    writer.insert(Shift.__table__, shifts, f"{label} shifts")
    return [
        shift | {"employer_id": job["employer_id"], "lat": job["lat"], "lon": job["lon"]}
        for shift, job in zip(shifts, jobs, strict=True)
    ]


def prepare(city: str, workers: int, shifts: int, months: int, out: Path) -> Prepared:
    """Seed the city into the current (empty) database and write the mix's requests to ``out``.

    Each ``<kind>.tsv`` line is one request: method, path, bearer token and JSON body.
    """
    synthetic.generate(city, workers, shifts, months, seed=1, progress=lambda _label, _rows: None)
    place = catalogue.find(city)
    assert place is not None
    rng = random.Random(7)
    writer = synthetic.BulkWriter(lambda _label, _rows: None)
    now = clock.now()
    zone = ZoneInfo(place.timezone)

    worker_rows = db.session.execute(
        select(Worker.id, Worker.user_id).where(Worker.city == city).order_by(Worker.id)
    ).all()
    employer_rows = db.session.execute(
        select(Employer.id, Employer.user_id).where(Employer.city == city).order_by(Employer.id)
    ).all()
    employers = [(row.id, row.user_id) for row in employer_rows]
    worker_tokens = _tokens(writer, [row.user_id for row in worker_rows], now)
    employer_tokens = dict(
        zip(
            (row.id for row in employer_rows),
            _tokens(writer, [row.user_id for row in employer_rows], now),
            strict=True,
        )
    )

    # Shifts under way: started ten minutes ago, eight hours long; every worker holds one place.
    started = (now - timedelta(minutes=10)).astimezone(zone)
    full, rest = divmod(len(worker_rows), UNDER_WAY_HEADCOUNT)
    held = [UNDER_WAY_HEADCOUNT] * full + ([rest] if rest else [])
    under_way = _jobs(
        writer,
        rng,
        city,
        employers,
        [started] * len(held),
        hours=8,
        headcount=UNDER_WAY_HEADCOUNT,
        booked=held,
        # A working day: full time (part-time work averages at most 4 hours a day, 劳动合同法 68).
        employment_type="full_time",
        label="进行中",
    )
    # Booking targets: tomorrow 09:00–13:00, room for every worker.
    tomorrow = datetime.combine(clock.today(place.timezone) + timedelta(days=1), time(9), zone)
    count = -(-len(worker_rows) // TARGET_HEADCOUNT)
    targets = _jobs(
        writer,
        rng,
        city,
        employers,
        [tomorrow] * count,
        hours=4,
        headcount=TARGET_HEADCOUNT,
        booked=[0] * count,
        employment_type="part_time",
        label="报名",
    )

    order = list(range(len(worker_rows)))
    rng.shuffle(order)
    bookings, check_ins = [], []
    booking_ids = writer.allocate_ids(Booking.__table__, len(order))
    for n, (worker_index, booking_id) in enumerate(zip(order, booking_ids, strict=True)):
        shift = under_way[n // UNDER_WAY_HEADCOUNT]
        bookings.append(
            {
                "id": booking_id,
                "shift_id": shift["id"],
                "worker_id": worker_rows[worker_index].id,
                "employer_id": shift["employer_id"],
                "status": "confirmed",
                "starts_at": shift["starts_at"],
                "ends_at": shift["ends_at"],
                "created_at": now,
                "updated_at": now,
                "confirmed_at": now,
                "late_cancel": False,
            }
        )
        # Arriving: a few tens of metres from the workplace, well inside the geofence.
        position = {
            "lat": round(shift["lat"] + rng.uniform(-0.0003, 0.0003), 6),
            "lon": round(shift["lon"] + rng.uniform(-0.0003, 0.0003), 6),
        }
        check_ins.append(
            (
                "POST",
                f"/api/v1/bookings/{booking_id}/check-in",
                worker_tokens[worker_index],
                json.dumps(position),
            )
        )
    writer.insert(Booking.__table__, bookings, "confirmed bookings")

    rng.shuffle(order)
    # Consecutive lines, which wrk sends at the same time, book different shifts: bookings of
    # one shift queue on its row (the place is counted there), and a run of one shift's lines
    # would measure that queue, not what the service can write.
    book = [
        (
            "POST",
            f"/api/v1/shifts/{targets[n % count]['id']}/bookings",
            worker_tokens[worker_index],
            "",
        )
        for n, worker_index in enumerate(order)
    ]

    search = []
    for _ in range(VARIETY):
        _district, lat, lon, _ = rng.choices(
            DISTRICTS[city], weights=[d[3] for d in DISTRICTS[city]]
        )[0]
        query = {
            "lat": f"{rng.gauss(lat, 0.02):.5f}",
            "lon": f"{rng.gauss(lon, 0.02):.5f}",
            "radius_km": rng.choice(SEARCH_RADII_KM),
            "per_page": 20,
        }
        if rng.random() < 0.5:
            query["category"] = rng.choice(CATEGORIES[city])[0]
        path = f"/api/v1/shifts?{urlencode(query)}"
        search.append(("GET", path, rng.choice(worker_tokens), ""))

    # Candidates: employers looking at their own open shifts of the synthetic market.
    open_shifts = db.session.execute(
        select(Shift.id, Job.employer_id)
        .join(Shift.job)
        .where(Job.city == city, Shift.starts_at > tomorrow + timedelta(hours=4))
        .order_by(Shift.id)
    ).all()
    chosen = rng.sample(open_shifts, min(VARIETY, len(open_shifts)))
    candidates = [
        (
            "GET",
            f"/api/v1/shifts/{row.id}/candidates?limit=20",
            employer_tokens[row.employer_id],
            "",
        )
        for row in chosen
    ]

    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for kind, lines in (
        ("search", search),
        ("candidates", candidates),
        ("book", book),
        ("checkin", check_ins),
    ):
        (out / f"{kind}.tsv").write_text("".join("\t".join(line) + "\n" for line in lines))
        written[kind] = len(lines)
    return Prepared(written)
