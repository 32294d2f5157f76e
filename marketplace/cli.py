"""Command-line tools: ``flask --app wsgi users|seed|jobs|audit ...``."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from marketplace.auth import services as auth_services
from marketplace.auth.credentials import PHONE_RULE, is_mainland_mobile, password_weakness
from marketplace.auth.models import ROLES, User
from marketplace.cities import catalogue
from marketplace.errors import DomainError
from marketplace.extensions import db

users = AppGroup("users", help="Manage accounts (officials and admins are made only here).")
seed = AppGroup("seed", help="Load demo or synthetic data.")
jobs = AppGroup("jobs", help="Scheduled jobs: serve them, list them, or run one now.")
keys = AppGroup("keys", help="Rotate the keys that protect personal data at rest.")
audit = AppGroup("audit", help="The audit log: verify it, sign a checkpoint, export checkpoints.")


@users.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--phone", required=True)
@click.option(
    "--password",
    required=True,
    help="At least 8 characters, not a common password, not containing the phone number.",
)
@click.option("--city", type=click.Choice(catalogue.codes()), help="Required for officials.")
def create_user(role: str, phone: str, password: str, city: str | None) -> None:
    """Create an account of any role."""
    if not is_mainland_mobile(phone):
        raise click.BadParameter(PHONE_RULE, param_hint="--phone")
    weakness = password_weakness(password, phone)
    if weakness is not None:
        raise click.BadParameter(weakness, param_hint="--password")
    try:
        user = auth_services.create_user(phone, password, role, city)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(
            error.message + (f" {error.errors}" if error.errors else "")
        ) from None
    click.echo(f"created {user.role} {user.phone} (id {user.id})")


@users.command("revoke-tokens")
@click.option("--phone", required=True)
def revoke_tokens(phone: str) -> None:
    """Revoke every live access token of an account at once."""
    user = auth_services.find_by_phone(phone)
    if user is None:
        raise click.ClickException(f"no account with phone {phone}")
    count = auth_services.revoke_all_tokens(user)
    db.session.commit()
    click.echo(f"revoked {count} token(s) of {phone}")


@seed.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo(if_empty: bool) -> None:
    """Load the small hand-written demo data set for both cities."""
    from seeds import demo

    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("database not empty: demo data not loaded")
        return
    summary = demo.load()
    db.session.commit()
    click.echo("demo data loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))


@seed.command("synthetic")
@click.option("--city", type=click.Choice(catalogue.codes()), required=True)
@click.option("--workers", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--shifts", type=click.IntRange(min=1), default=20_000, show_default=True)
@click.option("--months", type=click.IntRange(min=0, max=60), default=12, show_default=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
def seed_synthetic(city: str, workers: int, shifts: int, months: int, seed_value: int) -> None:
    """Fill the database with a reproducible synthetic market (for benchmarks).

    Rows are made and written a chunk at a time, in one transaction; a line every few seconds
    says how many rows each table has had since the last, and the end one line per table.
    """
    from seeds import synthetic

    started = time.perf_counter()
    progress = synthetic.ProgressLines(click.echo)
    summary = synthetic.generate(city, workers, shifts, months, seed_value, progress)
    click.echo("committing")
    db.session.commit()
    progress.finish()
    elapsed = time.perf_counter() - started
    click.echo(
        f"{city}: "
        + ", ".join(f"{n} {what}" for what, n in summary.items())
        + f" in {elapsed:.1f} s"
    )


@jobs.command("list")
def list_jobs() -> None:
    """List the scheduled jobs and when they run."""
    from marketplace.scheduler import JOBS

    for job in JOBS.values():
        when = ", ".join(f"{key}={value}" for key, value in job.trigger.items())
        click.echo(f"{job.name:20} {when:40} {job.description}")


@jobs.command("run")
@click.argument("name")
def run_job(name: str) -> None:
    """Run one scheduled job now."""
    from marketplace.scheduler import JOBS
    from marketplace.scheduler import run_job as run

    if name not in JOBS:
        raise click.BadParameter(f"unknown job; one of {', '.join(JOBS)}", param_hint="NAME")
    outcome = run(name)
    click.echo(
        f"{name}: {outcome.result}" if outcome.ran else f"{name}: skipped (running elsewhere)"
    )


@jobs.command("serve")
def serve_jobs() -> None:
    """Run the scheduler in this process (one per deployment; more are safe on PostgreSQL)."""
    from flask import current_app

    from marketplace.scheduler import serve

    serve(current_app._get_current_object())  # type: ignore[attr-defined]


@keys.command("rotate-id-key")
def rotate_id_key() -> None:
    """Re-encrypt the personal data at rest under ID_KEY (the old key in ID_KEY_RETIRED).

    Steps: set MARKETPLACE_ID_KEY to a new key and MARKETPLACE_ID_KEY_RETIRED to the old one,
    restart the service (it encrypts with the new key and still reads the old), run this, then
    drop the old key from MARKETPLACE_ID_KEY_RETIRED and restart again.
    """
    from flask import current_app

    from marketplace.audit import services as audit_services
    from marketplace.bookings.agreements import reseal
    from marketplace.workers.services import rotate_id_key as rotate

    if not current_app.config["ID_KEY_RETIRED"]:
        raise click.ClickException(
            "nothing to rotate from: set MARKETPLACE_ID_KEY_RETIRED to the old key(s)"
        )
    count = rotate()
    # The agreements name their workers and are sealed under the same key.
    agreements = reseal()
    audit_services.record(
        "keys.id_key_rotated", "keys", "id_key", {"workers": count, "agreements": agreements}
    )
    db.session.commit()
    click.echo(
        f"re-encrypted {count} worker(s)' personal data and {agreements} agreement(s) "
        "under the current ID_KEY"
    )


@audit.command("verify")
@click.option(
    "--checkpoints",
    "checkpoints_file",
    type=click.File("r", encoding="utf-8"),
    help="A checkpoints file exported earlier (JSON list), checked against the database too.",
)
def audit_verify(checkpoints_file: Any) -> None:
    """Re-check every event and checkpoint; prints the report, exits 1 when it is not ok."""
    from marketplace.audit import services as audit_services
    from marketplace.database import set_write_intent

    exported: list[audit_services.Checkpoint] = []
    if checkpoints_file is not None:
        try:
            exported = audit_services.parse_exported(json.load(checkpoints_file))
        except ValueError as error:  # JSONDecodeError is one
            raise click.BadParameter(str(error), param_hint="--checkpoints") from None
    audit_services.catch_up()  # what has committed is chained before it is checked
    # A read: on SQLite it must not hold the write lock while it walks a long chain.
    set_write_intent(False)
    try:
        report = audit_services.verify(exported=exported)
        db.session.rollback()
    finally:
        set_write_intent(True)
    click.echo(json.dumps(report.as_dict()))
    if not report.ok:
        sys.exit(1)


@audit.command("sequence")
def audit_sequence() -> None:
    """Chain the events waiting in the outbox now (the job audit_sequencer does it every second)."""
    from marketplace.audit import services as audit_services

    chained = audit_services.catch_up()
    click.echo(f"chained {chained} event(s)")


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint of the chain's tail now (unless one covers it already)."""
    from marketplace.audit import services as audit_services

    try:
        written = audit_services.checkpoint_tail()
        db.session.commit()
    except audit_services.ChainBroken as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if written is None:
        click.echo("no checkpoint written: the last checkpoint covers the tail (or no events)")
    else:
        click.echo(f"checkpoint signed at seq {written.seq} (key {written.key_id})")


@audit.command("export-checkpoints")
@click.option("--from-seq", type=click.IntRange(min=1), help="Only checkpoints from this seq on.")
def audit_export_checkpoints(from_seq: int | None) -> None:
    """Print every signed checkpoint as JSON (oldest first), to keep outside the database."""
    from marketplace.audit import services as audit_services

    filters = {"from_seq": from_seq} if from_seq is not None else {}
    rows = audit_services.exported(
        db.session.scalars(audit_services.checkpoints_query(from_seq)),
        filters,
        actor_id=None,
        city=None,
    )
    db.session.commit()
    click.echo(json.dumps(rows, indent=1, ensure_ascii=False))


def register(app: Flask) -> None:
    """Add the command groups to ``app``."""
    app.cli.add_command(users)
    app.cli.add_command(seed)
    app.cli.add_command(jobs)
    app.cli.add_command(keys)
    app.cli.add_command(audit)
