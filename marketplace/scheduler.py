"""The scheduled jobs, run by their own process: ``flask --app wsgi jobs serve``.

Each job has a stable id (``replace_existing`` keeps one entry per job however often the
process restarts) and owns its transaction. On PostgreSQL a job first takes an advisory lock
named after it (transaction-scoped, so that it works through PgBouncer in transaction mode), so
two scheduler processes never run the same job at the same time; the second one skips that run.
``flask --app wsgi jobs run NAME`` runs one job now (tests use it).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import text

from marketplace.clock import DEFAULT_TIMEZONE
from marketplace.extensions import db

log = logging.getLogger(__name__)


def _no_shows() -> int:
    from marketplace.bookings.attendance import record_no_shows

    return record_no_shows()


def _attendance() -> int:
    from marketplace.bookings.attendance import close_forgotten_checkouts

    return close_forgotten_checkouts()


def _offers() -> int:
    from marketplace.bookings.offers import expire_offers

    return expire_offers()


def _wage_arrears() -> int:
    from marketplace.disputes.arrears import raise_pay_alerts

    return raise_pay_alerts()


def _disputes() -> int:
    from marketplace.disputes.services import escalate_unanswered

    return escalate_unanswered()


def _reminders() -> int:
    from marketplace.bookings.reminders import send_reminders

    return send_reminders()


def _purge() -> dict[str, int]:
    from marketplace.auth.services import purge_expired
    from marketplace.bookings.throttle import purge_attempts
    from marketplace.common import idempotency
    from marketplace.desk.server_sessions import purge_ended

    # Sessions first: dropping old tokens would take their sessions along uncounted (cascade).
    desk_sessions = purge_ended()
    purge_expired()
    return {
        "booking_attempts": purge_attempts(),
        "idempotency_keys": idempotency.purge_expired(),
        "desk_sessions": desk_sessions,
    }


def _subsidy_evaluation() -> dict[str, Any]:
    from marketplace.subsidies.jobs import subsidy_evaluation

    return subsidy_evaluation()


def _audit_sequencer() -> int:
    from marketplace.audit.services import sequence

    return sequence()


def _audit_checkpoint() -> dict[str, int | None]:
    from marketplace.audit.services import checkpoint_tail

    written = checkpoint_tail()
    return {"checkpoint_seq": written.seq if written else None}


@dataclass(frozen=True)
class ScheduledJob:
    """A job: what it runs and when (APScheduler trigger arguments, city time)."""

    name: str
    run: Callable[[], Any]
    trigger: dict[str, Any] = field(default_factory=dict)
    description: str = ""


JOBS: dict[str, ScheduledJob] = {
    job.name: job
    for job in (
        ScheduledJob(
            "no_shows",
            _no_shows,
            {"trigger": "interval", "minutes": 5},
            "confirmed bookings never checked in 30 min after the start become no-shows",
        ),
        ScheduledJob(
            "attendance",
            _attendance,
            {"trigger": "interval", "minutes": 10},
            "bookings checked in but never checked out are checked out at the shift's end, 2 h "
            "after it",
        ),
        ScheduledJob(
            "offers",
            _offers,
            {"trigger": "interval", "minutes": 5},
            "offers the worker did not answer in time lapse and free their places",
        ),
        ScheduledJob(
            "wage_arrears",
            _wage_arrears,
            {"trigger": "cron", "minute": 17},
            "wages unpaid past their term from the end of the work (part-time 15 days, other "
            "types the end of the following month) and hours not approved 7 days after the "
            "shift raise an alert and a case",
        ),
        ScheduledJob(
            "disputes",
            _disputes,
            {"trigger": "interval", "minutes": 15},
            "disputes the employer did not answer within 3 days go to the officials as cases",
        ),
        ScheduledJob(
            "reminders",
            _reminders,
            {"trigger": "interval", "minutes": 15},
            "remind workers of confirmed shifts in the next 24 hours",
        ),
        ScheduledJob(
            "purge",
            _purge,
            {"trigger": "cron", "minute": 41},
            "drop expired tokens, ended desk sessions, old login failures, booking attempts and "
            "idempotency keys",
        ),
        ScheduledJob(
            "subsidy_evaluation",
            _subsidy_evaluation,
            # Months end at night: flags appear the morning after (POLICIES.md).
            {"trigger": "cron", "hour": 2, "minute": 0},
            "evaluate every worker of every city for subsidies, as of today",
        ),
        ScheduledJob(
            "audit_sequencer",
            _audit_sequencer,
            # Events wait at most about this long for their place in the chain.
            {"trigger": "interval", "seconds": 1},
            "chain the audit events that committed since the last run, in the order found",
        ),
        ScheduledJob(
            "audit_checkpoint",
            _audit_checkpoint,
            {"trigger": "cron", "minute": 3},
            "sign a checkpoint of the audit chain's tail when events were appended since the last",
        ),
    )
}


def _lock_key(name: str) -> int:
    # A stable signed 63-bit key per job name (Python's hash() changes between processes).
    return int.from_bytes(hashlib.sha256(f"job:{name}".encode()).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class JobRun:
    """What one run of a job did."""

    name: str
    ran: bool
    result: Any = None


def run_job(name: str) -> JobRun:
    """Run one job now, in its own transaction (inside an app context).

    Skipped (``ran=False``) when another process holds the job's lock on PostgreSQL.
    """
    job = JOBS[name]
    engine = db.engine
    if engine.dialect.name != "postgresql":
        # SQLite: writers are serialised by the database; one scheduler process is the rule.
        return _run(job)
    # The lock is transaction-scoped, taken in a transaction of its own on a connection of its
    # own that stays open while the job runs (and commits, perhaps several times) and ends after
    # it: it is released with that transaction however the job ends, and never outlives it on a
    # server connection that a pooler in transaction mode hands to someone else — which a
    # session lock (pg_try_advisory_lock) would, were its unlock ever missed.
    with engine.connect() as lock, lock.begin():
        if not lock.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key(name)}
        ):
            log.info("job %s is running elsewhere; skipped", name)
            return JobRun(name, ran=False)
        return _run(job)


def _run(job: ScheduledJob) -> JobRun:
    try:
        result = job.run()
        db.session.commit()
    except Exception:
        db.session.rollback()  # the scheduler (or the CLI) reports the exception
        raise
    # A run that found nothing to do is no news (the sequencer runs every second).
    log.log(logging.INFO if result else logging.DEBUG, "job %s done: %s", job.name, result)
    return JobRun(job.name, ran=True, result=result)


def serve(app: Flask) -> None:
    """Run the scheduler in this process until it is stopped."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=DEFAULT_TIMEZONE)

    def in_app(name: str) -> None:
        # A fresh app context per run: its session is removed when the context ends.
        with app.app_context():
            run_job(name)

    for job in JOBS.values():
        scheduler.add_job(
            in_app,
            args=[job.name],
            id=job.name,
            name=job.description or job.name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
            **job.trigger,
        )
    log.info("scheduler started with jobs: %s", ", ".join(JOBS))
    scheduler.start()
