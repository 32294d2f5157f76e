"""Backup and restore, tried: a base backup and the WAL archive bring the market back to a point
in time, with exactly the bookings and earnings committed before it and an audit chain that
verifies. These are the steps ``docs/operations.md`` ("Backups and point-in-time recovery")
gives, run on a throwaway cluster.
"""

from __future__ import annotations

import os
import shutil

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.audit import services as audit
from marketplace.audit.models import AuditEvent
from marketplace.bookings.models import Booking
from marketplace.earnings.models import Earning
from marketplace.extensions import db
from tests.conftest import SECRETS
from tests.replication import (
    DATABASE,
    SYSTEM_USER,
    Cluster,
    approved_booking,
    cluster_folder,
    seed_market,
    why_no_clusters,
)

WHY_NOT = why_no_clusters()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")]

RESTORE_POINT = "before-the-mistake"


def _app(url: str) -> Flask:
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_PROFILE": "CHEAPEST", **SECRETS}
    )


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_base_backup_and_the_wal_archive_restore_the_market_to_a_point_in_time():
    with cluster_folder() as root:
        archive = root / "archive"
        archive.mkdir()
        if os.geteuid() == 0:
            shutil.chown(archive, SYSTEM_USER, SYSTEM_USER)
        started: list[Cluster] = []
        apps: list[Flask] = []
        try:
            # The primary archives every finished WAL segment (never overwriting one).
            primary = Cluster.create(
                root,
                "primary",
                archive_mode="on",
                archive_command=f"'test ! -f {archive}/%f && cp %p {archive}/%f'",
            )
            started.append(primary)
            primary.start()
            primary.sql(f"CREATE DATABASE {DATABASE}")
            app = _app(primary.url())
            apps.append(app)
            with app.app_context():
                flask_migrate.upgrade()
                market = seed_market(shifts=5)
                kept = [approved_booking(market, market.shift_ids[0], days_ago=1)]
                db.session.commit()

            # 1. The base backup.
            backup = primary.base_backup(root / "base-backup")

            # 2. Work after the backup and before the point: only the WAL archive holds it.
            with app.app_context():
                kept += [
                    approved_booking(market, market.shift_ids[n], days_ago=n + 1) for n in (1, 2)
                ]
                db.session.commit()
                events_at_the_point = db.session.scalar(select(func.count(AuditEvent.seq)))
                db.session.remove()
            primary.sql(f"SELECT pg_create_restore_point('{RESTORE_POINT}')")

            # 3. Work after the point (the mistake): it must not come back.
            with app.app_context():
                lost = [
                    approved_booking(market, market.shift_ids[n], days_ago=n + 1) for n in (3, 4)
                ]
                db.session.commit()
                assert db.session.scalar(select(func.count(Booking.id))) == 5
                db.session.remove()
            # Finish the segment holding the point and what followed, so that it is archived.
            segment = primary.sql("SELECT pg_walfile_name(pg_switch_wal())")
            # (A segment's name is 24 hex digits, answered by the server itself.)
            archived = f"SELECT last_archived_wal >= '{segment}' FROM pg_stat_archiver"  # noqa: S608
            primary.wait_until(archived, "t")
            _dispose(app)
            primary.stop()  # the restore needs nothing of it but the backup and the archive

            # 4. Restore: a copy of the base backup replays the archive up to the point.
            restored = Cluster.from_backup(root, "restored", backup)
            (restored.data / "recovery.signal").touch()
            if os.geteuid() == 0:
                shutil.chown(restored.data / "recovery.signal", SYSTEM_USER, SYSTEM_USER)
            restored.configure(
                restore_command=f"'cp {archive}/%f %p'",
                recovery_target_name=f"'{RESTORE_POINT}'",
                recovery_target_action="'promote'",
                # A restored copy must not archive its new timeline into the primary's archive.
                archive_mode="off",
            )
            started.append(restored)
            restored.start()
            restored.wait_until("SELECT pg_is_in_recovery()", "f")

            # 5. Exactly what was committed before the point, and a chain that verifies.
            back = _app(restored.url())
            apps.append(back)
            with back.app_context():
                bookings = set(db.session.scalars(select(Booking.id)))
                earnings = set(db.session.scalars(select(Earning.id)))
                assert bookings == {booking for booking, _earning in kept}
                assert earnings == {earning for _booking, earning in kept}
                assert not bookings & {booking for booking, _earning in lost}
                assert {b.status for b in db.session.scalars(select(Booking))} == {"completed"}
                report = audit.verify()
                assert report.ok, report
                assert report.count == events_at_the_point
        finally:
            for each in apps:
                _dispose(each)
            for cluster in reversed(started):
                cluster.stop()
