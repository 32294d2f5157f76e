"""Migrations: they build exactly the schema the models describe, and they go back down."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from marketplace import create_app
from marketplace.audit import services as audit_services
from marketplace.extensions import db
from tests.conftest import SECRETS


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_every_migration_downgrades_and_upgrades_again(tmp_path):
    scratch = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'roundtrip.db'}",
            **SECRETS,
        }
    )
    with scratch.app_context():
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert "users" in tables
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables
        db.engine.dispose()


def test_the_id_number_migration_keeps_only_what_cannot_rebuild_the_number(tmp_path):
    """0010 narrows the stored mask to 4 + 2 and the birth date to its year, and goes back."""
    from datetime import date

    from sqlalchemy import text

    from marketplace.common.crypto import FieldCipher
    from marketplace.common.ids import make_resident_id

    scratch = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'ids.db'}", **SECRETS})
    number = make_resident_id("320206", date(1990, 5, 17), 37, "female")
    cipher = FieldCipher(SECRETS["ID_KEY"])
    with scratch.app_context():
        flask_migrate.upgrade(revision="0009")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, phone, password_hash, role, created_at) "
                    "VALUES (1, '13500000001', 'x', 'worker', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO workers (id, user_id, name, id_number_ciphertext, "
                    "id_number_hash, id_number_masked, birth_date, gender, city, resident, lat, "
                    "lon, cell, veteran, migrant_worker, availability, max_distance_km, "
                    "created_at, updated_at) VALUES (1, 1, '张三', :ciphertext, :digest, "
                    ":masked, '1990-05-17', 'female', 'wuxi', 1, 31.5, 120.3, 0, 0, 0, '[]', "
                    "20, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {
                    "ciphertext": cipher.encrypt(number),
                    "digest": cipher.lookup_hash(number),
                    "masked": number[:6] + "*" * 8 + number[-4:],
                },
            )
        flask_migrate.upgrade(revision="0010")
        with db.engine.connect() as connection:
            row = connection.execute(text("SELECT * FROM workers")).mappings().one()
        assert row["id_number_masked"] == number[:4] + "*" * 12 + number[-2:]
        assert row["birth_year"] == 1990 and "birth_date" not in row
        flask_migrate.downgrade(revision="0009")
        with db.engine.connect() as connection:
            row = connection.execute(text("SELECT * FROM workers")).mappings().one()
        assert row["id_number_masked"] == number[:6] + "*" * 8 + number[-4:]
        assert str(row["birth_date"]) == "1990-05-17"
        db.engine.dispose()


def test_the_signal_of_a_flag_no_longer_proposed_is_recoded_and_back(tmp_path):
    """0021 renames the code no_longer_supported to v1.1's no_longer_proposed, text kept."""
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from marketplace.auth import services as auth_services
    from marketplace.subsidies.models import SubsidyFlag
    from marketplace.workers import services as workers
    from marketplace.workers.schemas import WorkerProfileInSchema
    from tests.conftest import worker_body

    scratch = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'signals.db'}", **SECRETS}
    )
    now = datetime(2026, 7, 2, tzinfo=UTC)
    with scratch.app_context():
        flask_migrate.upgrade()
        user = auth_services.create_user("13700000002", "password-1", "worker")
        worker = workers.put_profile(user, WorkerProfileInSchema().load(worker_body()))
        flag = SubsidyFlag(
            worker_id=worker.id,
            city="wuxi",
            policy_id="wuxi-2021-26",
            program="training",
            key="t1",
            beneficiary="platform",
            amount=None,
            status="pending",
            evidence={},
            explanation=[],
            fingerprint="x",
            evaluated_on=date(2026, 7, 1),
            created_at=now,
            updated_at=now,
            risk_signals=[
                "no_attendance: 导入收入",
                "no_longer_proposed: 按 2026-07-01 的数据，规则已不再得出此标记",
            ],
        )
        db.session.add(flag)
        db.session.commit()
        flag_id = flag.id
        db.session.remove()
        audit_services.catch_up()  # the outbox is empty before a downgrade
        flask_migrate.downgrade(revision="0020")
        old = db.session.scalar(select(SubsidyFlag.risk_signals).where(SubsidyFlag.id == flag_id))
        assert old == [
            "no_attendance: 导入收入",
            "no_longer_supported: 按 2026-07-01 的数据，规则已不再得出此标记",
        ]
        db.session.remove()
        flask_migrate.upgrade()
        new = db.session.scalar(select(SubsidyFlag.risk_signals).where(SubsidyFlag.id == flag_id))
        assert new == [
            "no_attendance: 导入收入",
            "no_longer_proposed: 按 2026-07-01 的数据，规则已不再得出此标记",
        ]
        db.engine.dispose()


def test_the_end_of_each_held_status_is_copied_to_the_workers_row_and_back(tmp_path):
    """0022: the worker's row gets the end of each status that holds (a rejected one has none)."""
    from datetime import date

    from sqlalchemy import select, update

    from marketplace.auth import services as auth_services
    from marketplace.workers import services as workers
    from marketplace.workers.models import GroupStatus, Worker
    from marketplace.workers.schemas import WorkerProfileInSchema
    from tests.conftest import worker_body

    scratch = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'ends.db'}", **SECRETS}
    )
    with scratch.app_context():
        flask_migrate.upgrade()
        user = auth_services.create_user("13700000003", "password-1", "worker")
        body = worker_body(
            unemployment_registered_on="2025-12-10", difficulty_certified_on="2025-12-20"
        )
        worker = workers.put_profile(user, WorkerProfileInSchema().load(body))
        db.session.commit()
        worker_id = worker.id
        db.session.remove()
        audit_services.catch_up()  # the outbox is empty before a downgrade
        flask_migrate.downgrade(revision="0021")
        statuses = GroupStatus.__table__
        db.session.execute(
            update(statuses)
            .where(statuses.c.group_name == "unemployed")
            .values(ended_on=date(2026, 3, 15))
        )
        db.session.execute(
            update(statuses)
            .where(statuses.c.group_name == "difficulty")
            .values(ended_on=date(2026, 4, 1), status="rejected")
        )
        db.session.commit()
        db.session.remove()
        flask_migrate.upgrade()
        ends = db.session.execute(
            select(
                Worker.unemployed_ends_on, Worker.difficulty_ends_on, Worker.graduate_ends_on
            ).where(Worker.id == worker_id)
        ).one()
        assert tuple(ends) == (date(2026, 3, 15), None, None)
        db.engine.dispose()


def test_the_adjustments_migration_rebuilds_earnings_keeping_every_row_and_reference(tmp_path):
    """0028 rebuilds the earnings table on SQLite (a unique constraint becomes a partial index)
    while alerts point at it: every earning and alert stays, every reference holds, both ways."""
    from sqlalchemy import text

    scratch = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'adjust.db'}",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            **SECRETS,
        }
    )
    runner = scratch.test_cli_runner()
    with scratch.app_context():
        flask_migrate.upgrade()
        assert runner.invoke(args=["seed", "demo"]).exit_code == 0

        def counts() -> tuple[int, int, list]:
            with db.engine.connect() as connection:
                earnings = connection.scalar(text("SELECT count(*) FROM earnings"))
                alerts = connection.scalar(text("SELECT count(*) FROM alerts"))
                broken = connection.execute(text("PRAGMA foreign_key_check")).all()
            return earnings, alerts, broken

        before = counts()
        assert before[0] > 0 and before[1] > 0 and before[2] == []
        db.session.remove()
        audit_services.catch_up()  # the outbox is empty before a downgrade
        flask_migrate.downgrade(revision="0027")
        assert counts() == before
        flask_migrate.upgrade()
        assert counts() == before
        db.engine.dispose()
