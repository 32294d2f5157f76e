"""Posting, reading and cancelling jobs and their shifts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import joinedload

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.brokers import delegations
from marketplace.brokers.delegations import Acting
from marketplace.cities import catalogue, wages
from marketplace.cities.catalogue import City
from marketplace.common import geo
from marketplace.database import prebuilt
from marketplace.errors import Conflict, Forbidden, Invalid, Message, NotFound, field_error
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.jobs import cover, review, series
from marketplace.jobs.models import Job, JobSkill, Shift
from marketplace.jobs.schemas import MAX_SHIFT_HOURS, MAX_SHIFTS_PER_JOB
from marketplace.jobs.series import REPEAT_HORIZON_DAYS

# The rules every shift obeys, given or made by a series (``broken_shift_rules``).
IN_THE_FUTURE, ENDS_AFTER_START, LENGTH = "in_the_future", "ends_after_start", "length"


def broken_shift_rules(starts_at: datetime, ends_at: datetime, now: datetime) -> list[str]:
    """The shift rules a shift from ``starts_at`` to ``ends_at`` breaks at ``now`` (none: it
    may be posted): it starts in the future, ends after it starts and lasts at most
    ``MAX_SHIFT_HOURS``. The one home of these rules, for given shifts and series alike."""
    broken = []
    if starts_at <= now:
        broken.append(IN_THE_FUTURE)
    if ends_at <= starts_at:
        broken.append(ENDS_AFTER_START)
    elif ends_at - starts_at > timedelta(hours=MAX_SHIFT_HOURS):
        broken.append(LENGTH)
    return broken


def _check_shifts(shifts: list[dict[str, Any]], now: datetime) -> None:
    problems: dict[int, dict[str, list[str]]] = {}
    for index, shift in enumerate(shifts):
        problem: dict[str, list[str]] = {}
        for rule in broken_shift_rules(shift["starts_at"], shift["ends_at"], now):
            if rule == IN_THE_FUTURE:
                problem["starts_at"] = [N_("must be in the future")]
            elif rule == ENDS_AFTER_START:
                problem["ends_at"] = [N_("must be after starts_at")]
            else:
                problem["ends_at"] = [
                    Message("a shift lasts at most %(hours)s hours", hours=MAX_SHIFT_HOURS)
                ]
        if problem:
            problems[index] = problem
    if problems:
        raise Invalid("some shifts break the shift rules", {"json": {"shifts": problems}})


def minimum_wage_problem(
    city: City, wage: Decimal, starts: list[datetime]
) -> tuple[str, Message] | None:
    """Why ``wage`` may not be paid for shifts starting at ``starts``: the field at fault and the
    message (a msgid with its parameters), or None. The wage must reach the hourly minimum wage
    in force on each shift's day (city time), the rows admins added included."""
    table = wages.minimum_wages(city.code)
    for start in starts:
        day = clock.local_date(start, city.timezone)
        minimum = catalogue.wage_on(table, day)
        if minimum is None:
            return "shifts", Message(
                "no minimum wage of %(city)s is known for %(day)s",
                city=city.name,
                day=day.isoformat(),
            )
        if wage < minimum.hourly:
            return "hourly_wage", Message(
                "hourly_wage %(wage)s is below %(city)s's hourly minimum wage %(minimum)s in "
                "force on %(day)s (since %(since)s)",
                wage=wage,
                city=city.name,
                minimum=minimum.hourly,
                day=day.isoformat(),
                since=minimum.effective_from.isoformat(),
            )
    return None


def refuse(name: str, message: Message) -> Invalid:
    """422 saying ``message``, on the field ``name`` too."""
    return Invalid(
        message.template,
        field_error("json", name, message.template, **message.params),
        **message.params,
    )


def _check_minimum_wage(city: City, wage: Decimal, shifts: list[dict[str, Any]]) -> None:
    problem = minimum_wage_problem(city, wage, [shift["starts_at"] for shift in shifts])
    if problem is not None:
        raise refuse(*problem)


def _broken_in_series(day: date, broken: list[str]) -> Message:
    """What a series' shift of ``day`` breaks, said of its day (the series has no index)."""
    if IN_THE_FUTURE in broken:
        return Message("the series' shift of %(day)s would start in the past", day=day.isoformat())
    if ENDS_AFTER_START in broken:
        return Message(
            "the series' shift of %(day)s would end before it starts", day=day.isoformat()
        )
    return Message(
        "the series' shift of %(day)s would last more than %(hours)s hours",
        day=day.isoformat(),
        hours=MAX_SHIFT_HOURS,
    )


def series_shifts(
    city: City, wage: Decimal, rule: dict[str, Any], given: int, now: datetime
) -> list[series.SeriesShift]:
    """The shifts the series ``rule`` makes for a job of ``city`` paying ``wage`` beside
    ``given`` given shifts, each checked as a given shift is; 422 on ``repeat`` naming the day
    of the first that fails, or when the rule runs more than a year ahead, makes no shift or
    makes the job more than ``MAX_SHIFTS_PER_JOB`` shifts."""
    latest = clock.local_date(now, city.timezone) + timedelta(days=REPEAT_HORIZON_DAYS)
    if rule["until"] > latest:
        raise refuse(
            "repeat",
            Message(
                "repeat runs at most a year ahead: until %(latest)s at the latest",
                latest=latest.isoformat(),
            ),
        )
    made = series.shifts_of(rule, city.timezone, now)
    if not made:
        raise refuse(
            "repeat",
            Message(
                "repeat makes no shift: no day from %(first)s through %(until)s is one of its "
                "weekdays",
                first=series.first_day(now, city.timezone).isoformat(),
                until=rule["until"].isoformat(),
            ),
        )
    if given + len(made) > MAX_SHIFTS_PER_JOB:
        # The day from which the series passes the limit tells the employer where to stop.
        over = made[max(MAX_SHIFTS_PER_JOB - given, 0)].day
        raise refuse(
            "repeat",
            Message(
                "repeat makes %(made)s shifts, %(total)s with the given ones: a job has at "
                "most %(most)s (the series passes it on %(day)s)",
                made=len(made),
                total=given + len(made),
                most=MAX_SHIFTS_PER_JOB,
                day=over.isoformat(),
            ),
        )
    for shift in made:
        broken = broken_shift_rules(shift.starts_at, shift.ends_at, now)
        if broken:
            raise refuse("repeat", _broken_in_series(shift.day, broken))
    problem = minimum_wage_problem(city, wage, [shift.starts_at for shift in made])
    if problem is not None:
        # The message names the day; the field is the series that made the shift.
        raise refuse("repeat", problem[1])
    return made


def _check_in_city(city: City, location: dict[str, float]) -> None:
    bounds = city.bounds
    inside = (
        bounds["south"] <= location["lat"] <= bounds["north"]
        and bounds["west"] <= location["lon"] <= bounds["east"]
    )
    if not inside:
        raise Invalid(
            "the location is outside %(city)s",
            field_error("json", "location", "not inside %(city)s", city=city.name),
            city=city.name,
        )


def _check_dispatch(acting: Acting, employment_type: str) -> None:
    """Dispatch work (劳务派遣) is posted by a licensed dispatcher: a broker acting for the
    employer whose profile holds its 劳务派遣经营许可证 (劳动合同法 第五十七条), 422 otherwise.

    The agreements of a dispatch job name that broker and its licence (``bookings.agreements``).
    """
    if employment_type != "dispatch":
        return
    if acting.broker is None:
        raise Invalid(
            "dispatch work must be posted by a labour-dispatch broker acting for the employer",
            field_error(
                "json",
                "employment_type",
                "dispatch is posted by a broker holding a labour-dispatch licence, acting for "
                "the employer",
            ),
        )
    if not acting.broker.licence_number:
        raise Invalid(
            "your broker profile has no licence_number: dispatch work needs a "
            "labour-dispatch licence",
            field_error(
                "json",
                "employment_type",
                "dispatch needs the broker's licence_number (its labour-dispatch licence)",
            ),
        )


def post_job(user: User, data: dict[str, Any]) -> Job:
    """Post a job with its shifts, for the caller's company or one it brokers for.

    The shifts are those given, and those a series rule (``repeat``) makes, which the job
    keeps; every one is checked by the same rules before anything is written."""
    acting = delegations.acting_for(user, data["employer_id"])
    city = catalogue.find(data["city"])
    assert city is not None  # the schema allows only known cities
    _check_dispatch(acting, data["employment_type"])
    now = clock.now()
    given = data.get("shifts", [])
    _check_shifts(given, now)
    _check_minimum_wage(city, data["hourly_wage"], given)
    shifts = [
        Shift(starts_at=s["starts_at"], ends_at=s["ends_at"], headcount=s["headcount"], booked=0)
        for s in given
    ]
    rule = data.get("repeat")
    if rule is not None:
        made = series_shifts(city, data["hourly_wage"], rule, len(given), now)
        shifts += [
            Shift(starts_at=s.starts_at, ends_at=s.ends_at, headcount=rule["headcount"], booked=0)
            for s in made
        ]
    _check_in_city(city, data["location"])
    cover.check_new(data["injury_cover"], city.code)

    location = data["location"]
    job = Job(
        employer_id=acting.employer.id,
        posted_by=user.id,
        broker_id=acting.broker.id if acting.broker else None,
        title=data["title"],
        description=data["description"],
        category=data["category"],
        employment_type=data["employment_type"],
        hourly_wage=data["hourly_wage"],
        requires_approval=data["requires_approval"],
        audience=data["audience"],
        city=city.code,
        district=data["district"],
        address=data["address"],
        lat=location["lat"],
        lon=location["lon"],
        cell=geo.cell_of(location["lat"], location["lon"]),
        created_at=now,
        **cover.columns(data["injury_cover"]),
        repeat=series.stored(rule) if rule is not None else None,
        skill_rows=[JobSkill(skill=skill) for skill in sorted(set(data["required_skills"]))],
        # In time order, as the job's shifts are read back (given and made ones interleave).
        shifts=sorted(shifts, key=lambda shift: shift.starts_at),
    )
    db.session.add(job)
    db.session.flush()
    audit.record(
        "job.posted",
        "job",
        job.id,
        {**acting.audit_data, "shifts": [shift.id for shift in job.shifts]},
        actor_id=user.id,
        city=job.city,
    )
    review.review_on_post(job, user)
    return job


def get_job(job_id: int) -> Job:
    """A job by id (every signed-in user may read jobs)."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("job")
    return job


@prebuilt
def _shift_with_job() -> tuple[Any, ...]:
    # Loader options cost as much to build as the look-up they shape.
    return (joinedload(Shift.job).joinedload(Job.skill_rows),)


def get_shift(shift_id: int) -> Shift:
    """A shift by id with its job and the job's skills (every signed-in user may read shifts).

    Every caller goes on to its job: one query, instead of the shift, the job and the skills.
    """
    shift = db.session.get(Shift, shift_id, options=_shift_with_job())
    if shift is None:
        raise NotFound("shift")
    return shift


def cancel_job(user: User, job_id: int) -> Job:
    """Cancel a job: its future shifts, and through them their bookings."""
    job = get_job(job_id)
    acting = delegations.may_act_for(user, job.employer_id)
    if acting is None:
        raise Forbidden("only the job's employer or a broker it delegated to may cancel it")
    if job.cancelled_at is not None:
        raise Conflict("this job is already cancelled")
    now = clock.now()
    cancelled = [s for s in job.shifts if s.cancelled_at is None and s.starts_at > now]
    for shift in cancelled:
        shift.cancelled_at = now
    job.cancelled_at = now
    db.session.flush()
    audit.record(
        "job.cancelled",
        "job",
        job.id,
        {**acting.audit_data, "shifts": [shift.id for shift in cancelled]},
        actor_id=user.id,
        city=job.city,
    )
    events.emit(events.SHIFTS_CANCELLED, shifts=cancelled, actor=user, reason=None)
    return job
