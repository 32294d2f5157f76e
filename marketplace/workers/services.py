"""Worker profiles: creating and replacing them, their views, revealing the ID number.

Who may read a worker needs the bookings: ``bookings.access.visible_worker``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.exc import IntegrityError

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.cities import catalogue
from marketplace.common import geo
from marketplace.common.ids import (
    MINIMUM_WORKING_AGE,
    InvalidResidentId,
    adult_on,
    birth_date_of,
    holder_mask,
    mask_resident_id,
    parse_resident_id,
)
from marketplace.common.profiles import Profiles
from marketplace.database import personal_cipher
from marketplace.errors import Conflict, Forbidden, Invalid, field_error
from marketplace.extensions import db
from marketplace.workers import group_statuses
from marketplace.workers.models import (
    GROUP_DATE_FIELDS,
    GROUP_FLAG_FIELDS,
    Worker,
    WorkerGroupChange,
    WorkerSkill,
)
from marketplace.workers.schemas import WorkerSchema

# The skills come with the profile in one query (bookings check them at once).
_profiles = Profiles(Worker, "worker", "/api/v1/workers/me", joined=["skill_rows"])
profile_of = _profiles.of
profile_id_of = _profiles.id_of
my_profile = _profiles.mine
require_profile = _profiles.required


# Resident ID numbers are personal data at rest like any other (ID_KEY).
id_cipher = personal_cipher


def _normalised(id_number: str) -> str:
    return id_number.strip().upper()


def id_number_lookup_hash(id_number: str) -> str:
    """The keyed hash under which a (normalised) ID number is stored from now on."""
    return id_cipher().lookup_hash(_normalised(id_number))


def id_number_lookup_hashes(id_number: str) -> list[str]:
    """Every keyed hash under which the ID number may be stored (retired keys' too)."""
    return id_cipher().lookup_hashes(_normalised(id_number))


def find_by_id_number(id_number: str) -> Worker | None:
    """The worker whose resident ID number this is, if any."""
    query = select(Worker).where(Worker.id_number_hash.in_(id_number_lookup_hashes(id_number)))
    return db.session.scalar(query)


class WorkerRef(NamedTuple):
    """A worker's id and city: what an import needs to know about each record's worker."""

    id: int
    city: str


def workers_by_id_numbers(id_numbers: Iterable[str]) -> dict[str, WorkerRef]:
    """The workers whose ID numbers these are, by number as given.

    The batch form of ``find_by_id_number``: one query for all of them, however many.
    """
    hashes = {number: id_number_lookup_hashes(number) for number in set(id_numbers)}
    if not hashes:
        return {}
    wanted = {digest for digests in hashes.values() for digest in digests}
    rows = db.session.execute(
        select(Worker.id_number_hash, Worker.id, Worker.city).where(
            Worker.id_number_hash.in_(wanted)
        )
    ).all()
    found = {row.id_number_hash: WorkerRef(row.id, row.city) for row in rows}
    return {
        number: found[digest]
        for number, digests in hashes.items()
        for digest in digests
        if digest in found
    }


def _group_value(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value).lower()


def _check_group_dates(data: dict[str, Any], today: date, birth_date: date) -> None:
    """Group dates lie between the worker's 16th birthday and today (facts that can be)."""
    working_age = adult_on(birth_date)
    for field in GROUP_DATE_FIELDS:
        if data[field] is not None and data[field] > today:
            raise Invalid(
                "a group date cannot be in the future",
                field_error("json", field, "after today (%(today)s)", today=today.isoformat()),
            )
        if data[field] is not None and data[field] < working_age:
            raise Invalid(
                "a group date cannot be before the worker's %(age)sth birthday",
                field_error("json", field, "before %(day)s", day=working_age.isoformat()),
                age=MINIMUM_WORKING_AGE,
            )


def put_profile(user: User, data: dict[str, Any]) -> Worker:
    """Create or replace the caller's profile (``data`` is a validated WorkerProfileInSchema)."""
    city = catalogue.find(data["city"])
    assert city is not None  # the schema allows only known cities
    today = city.today()
    worker = profile_of(user)
    registered_on = clock.local_date(worker.created_at, city.timezone) if worker else today
    number = data["id_number"].strip()
    if worker is not None and "*" in number:
        # The masked number GET /workers/me gave, sent back: the stored number stays.
        stored = id_cipher().decrypt(worker.id_number_ciphertext)
        if number == holder_mask(stored):
            number = stored
    try:
        identity = parse_resident_id(number, registered_on)
    except InvalidResidentId as error:
        raise Invalid(
            "invalid resident ID number", {"json": {"id_number": [error.message]}}
        ) from None
    _check_group_dates(data, today, identity.birth_date)
    group_statuses.check_declarations(worker, data)

    digests = id_number_lookup_hashes(identity.number)
    if worker is not None and worker.id_number_hash not in digests:
        raise Conflict("the ID number of a profile cannot be changed; ask an official")
    holder = db.session.scalar(select(Worker.id).where(Worker.id_number_hash.in_(digests)))
    if holder is not None and (worker is None or holder != worker.id):
        raise Conflict("this ID number belongs to another worker profile")

    now = clock.now()
    # A new profile starts from no group: no dates, and not a veteran or migrant worker.
    old_groups = {
        field: _group_value(
            getattr(worker, field) if worker else (False if field in GROUP_FLAG_FIELDS else None)
        )
        for field in (*GROUP_DATE_FIELDS, *GROUP_FLAG_FIELDS)
    }
    if worker is None:
        worker = Worker(
            user_id=user.id,
            id_number_ciphertext=id_cipher().encrypt(identity.number),
            id_number_hash=digests[0],
            id_number_masked=mask_resident_id(identity.number),
            birth_year=identity.birth_date.year,
            gender=identity.gender,
            created_at=now,
        )
        db.session.add(worker)
    worker.name = data["name"]
    worker.city = data["city"]
    worker.resident = data["resident"]
    worker.district = data["district"]
    worker.lat, worker.lon = geo.home_point(data["location"]["lat"], data["location"]["lon"])
    worker.cell = geo.cell_of(worker.lat, worker.lon)
    for field in GROUP_FLAG_FIELDS:
        setattr(worker, field, data[field])
    worker.availability = [dict(window) for window in data["availability"]]
    worker.max_distance_km = data["max_distance_km"]
    worker.set_matching_keys()
    wanted = sorted(set(data["skills"]))
    worker.skill_rows = [WorkerSkill(skill=skill) for skill in wanted]
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("this ID number belongs to another worker profile") from None
    # The dates declare statuses; the columns become what the rules read (none when rejected).
    group_statuses.declare(worker, data)

    changes = {
        field: [old, _group_value(getattr(worker, field))]
        for field, old in old_groups.items()
        if old != _group_value(getattr(worker, field))
    }
    if changes:
        _record_group_changes(worker, changes, user)
    return worker


def _record_group_changes(
    worker: Worker, changes: dict[str, list[str | None]], actor: User
) -> None:
    now = clock.now()
    for field, (old, new) in changes.items():
        db.session.add(
            WorkerGroupChange(
                worker_id=worker.id,
                field=field,
                old_value=old,
                new_value=new,
                recorded_at=now,
                recorded_by=actor.id,
            )
        )
    db.session.flush()
    audit.record(
        "worker.groups_changed",
        "worker",
        worker.id,
        {"changes": changes},
        actor_id=actor.id,
        city=worker.city,
    )
    events.emit(events.WORKER_GROUPS_CHANGED, worker=worker, changes=changes)


CLOSED_NAME = "已注销用户"


def erase_for_closure(worker: Worker) -> None:
    """Erase what a closed account no longer needs: the name, the home, skills, availability.

    Kept: the district and group statuses (facts under subsidy flags and the city's statistics),
    gender and birth year, and the encrypted ID number, which the audit of public money may
    still reveal (with a reason, audited). The ID's look-up digest is replaced, so the person
    may open a new account with the same number.
    """
    city = catalogue.find(worker.city)
    assert city is not None  # a worker's city is a known one
    now = clock.now()
    worker.name = CLOSED_NAME
    worker.lat, worker.lon = geo.home_point(city.center["lat"], city.center["lon"])
    worker.cell = geo.cell_of(worker.lat, worker.lon)
    worker.skill_rows = []
    worker.availability = []
    worker.id_number_hash = f"closed:{worker.id}"
    worker.closed_at = now
    worker.set_matching_keys()
    db.session.flush()


# What a worker's profile shows of the stored row (the ID number and birth date are derived).
_PROFILE_FIELDS = tuple(
    name for name in WorkerSchema().fields if name not in ("id_number", "birth_date")
)


class WorkerView:
    """A worker as one reader sees it: the stored profile with the ID number shown another way.

    The fields ``WorkerSchema`` shows are copied once (as ``jobs.search.ShiftView`` does); the
    birth date only when given, for the worker itself.
    """

    def __init__(self, worker: Worker, id_number: str, birth_date: date | None = None) -> None:
        for name in _PROFILE_FIELDS:
            setattr(self, name, getattr(worker, name))
        self.id_number = id_number
        if birth_date is not None:
            self.birth_date = birth_date


def own_view(worker: Worker) -> WorkerView:
    """The profile as its worker sees it: the 6 + 4 mask and the birth date, and each group's
    date as its status has it (a rejected one too: it is the worker's own declaration).

    Both are read from the ciphertext: stored in clear they would be the whole number.
    """
    number = id_cipher().decrypt(worker.id_number_ciphertext)
    view = WorkerView(worker, holder_mask(number), birth_date_of(number))
    for field, day in group_statuses.declared_dates(worker.id).items():
        setattr(view, field, day)
    return view


def reveal_id_number(user: User, worker: Worker, reason: str) -> WorkerView:
    """The full ID number, for an official of the worker's city only, for a stated reason.

    The reveal and its reason are an audit event in the same transaction.
    """
    if user.role != "official" or user.city != worker.city:
        raise Forbidden("only an official of the worker's city may reveal the ID number")
    audit.record(
        "worker.id_revealed",
        "worker",
        worker.id,
        {"reason": reason},
        actor_id=user.id,
        city=worker.city,
    )
    return WorkerView(worker, id_cipher().decrypt(worker.id_number_ciphertext))


def rotate_id_key(batch_size: int = 500) -> int:
    """Re-encrypt (and re-digest) the workers' data still under a retired key; answers how many.

    The ID number and the name. Run after ID_KEY is the new key and ID_KEY_RETIRED holds the old
    one; afterwards the old key can be dropped from ID_KEY_RETIRED. The caller commits.
    """
    cipher = id_cipher()
    sealed_name = type_coerce(Worker.name, Text)  # the ciphertext, not the name it decrypts to
    rotated, after = 0, 0
    while True:
        rows = db.session.execute(
            select(Worker.id, Worker.id_number_ciphertext, sealed_name.label("sealed_name"))
            .where(Worker.id > after)
            .order_by(Worker.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return rotated
        for row in rows:
            if cipher.is_current(row.id_number_ciphertext) and cipher.is_current(row.sealed_name):
                continue
            number = cipher.decrypt(row.id_number_ciphertext)
            db.session.execute(
                update(Worker)
                .where(Worker.id == row.id)
                .values(
                    id_number_ciphertext=cipher.encrypt(number),
                    id_number_hash=cipher.lookup_hash(number),
                    name=cipher.decrypt(row.sealed_name),  # sealed again under the current key
                )
            )
            rotated += 1
        after = rows[-1].id
