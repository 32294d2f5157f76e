"""Command line: creating officials and admins, revoking tokens, loading the demo data."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql_text

from marketplace.auth.models import AccessToken, User
from marketplace.auth.services import create_token
from marketplace.database import personal_digest
from tests.conftest import next_phone


@pytest.fixture
def cli(app, database):
    return app.test_cli_runner()


def users_with(database, phone: str) -> list[User]:
    digest = personal_digest("phone", phone)
    return list(database.scalars(select(User).where(User.phone_digest == digest)))


def test_users_create_makes_an_official_of_a_city(cli, database):
    phone = next_phone()
    result = cli.invoke(
        args=[
            "users",
            "create",
            "--role",
            "official",
            "--city",
            "wuxi",
            "--phone",
            phone,
            "--password",
            "long-enough-1",
        ]
    )
    assert result.exit_code == 0, result.output
    [official] = users_with(database, phone)
    assert (official.role, official.city) == ("official", "wuxi")


def test_users_create_makes_an_admin_without_a_city(cli, database):
    phone = next_phone()
    result = cli.invoke(
        args=["users", "create", "--role", "admin", "--phone", phone, "--password", "long-enough-1"]
    )
    assert result.exit_code == 0, result.output
    [admin] = users_with(database, phone)
    assert (admin.role, admin.city) == ("admin", None)


@pytest.mark.parametrize(
    "arguments",
    [
        ["--role", "official", "--phone", "13511112222", "--password", "long-enough-1"],
        [
            "--role",
            "official",
            "--city",
            "beijing",
            "--phone",
            "13511112222",
            "--password",
            "x" * 9,
        ],
        ["--role", "admin", "--city", "wuxi", "--phone", "13511112222", "--password", "x" * 9],
        ["--role", "admin", "--phone", "12345", "--password", "long-enough-1"],
        ["--role", "admin", "--phone", "13511112222", "--password", "short"],
        ["--role", "root", "--phone", "13511112222", "--password", "long-enough-1"],
    ],
)
def test_users_create_refuses_bad_input_and_creates_nothing(cli, database, arguments):
    result = cli.invoke(args=["users", "create", *arguments])
    assert result.exit_code != 0
    assert users_with(database, "13511112222") == []


def test_users_create_refuses_a_taken_phone(cli, database, make_user):
    taken = make_user("worker")
    result = cli.invoke(
        args=["users", "create", "--role", "admin", "--phone", taken.phone, "--password", "x" * 9]
    )
    assert result.exit_code != 0
    assert "already registered" in result.output


def test_revoke_tokens_ends_every_session_of_an_account(cli, client, database, make_user):
    user = make_user("employer")
    token = create_token(user).access_token
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    result = cli.invoke(args=["users", "revoke-tokens", "--phone", user.phone])
    assert result.exit_code == 0, result.output
    assert "revoked 1" in result.output
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_seed_demo_loads_once_when_asked_to_load_only_into_an_empty_database(cli, database):
    database.execute(AccessToken.__table__.delete())
    database.execute(User.__table__.delete())
    first = cli.invoke(args=["seed", "demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    count = database.scalar(select(func.count()).select_from(User))
    assert count > 0
    roles = set(database.scalars(select(User.role)))
    assert roles == {"worker", "employer", "broker", "official", "admin"}
    second = cli.invoke(args=["seed", "demo", "--if-empty"])
    assert "not empty" in second.output
    assert database.scalar(select(func.count()).select_from(User)) == count


def test_seed_demo_gives_both_cities_profiles_and_open_work(cli, database):
    from marketplace.jobs.models import Job
    from marketplace.workers.models import Worker

    database.execute(AccessToken.__table__.delete())
    database.execute(User.__table__.delete())
    result = cli.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert set(database.scalars(select(Worker.city))) == {"wuxi", "xining"}
    categories = set(database.scalars(select(Job.category)))
    assert {"保洁绿化", "外卖配送", "青海拉面", "青绣"} <= categories
    # Contract v1.1: the dispatch job (西宁) is posted by its licensed broker, as 无锡's 绿化 is.
    assert (
        database.scalar(select(func.count()).select_from(Job).where(Job.broker_id.is_not(None)))
        == 2
    )
    assert set(database.scalars(select(Job.employment_type).where(Job.broker_id.is_(None)))) <= {
        "part_time",
        "full_time",
        "outsourcing",
    }


def test_seed_synthetic_fills_a_market(cli, database):
    from marketplace.common.ids import parse_resident_id
    from marketplace.earnings.models import Contribution, Earning
    from marketplace.jobs.models import Shift
    from marketplace.workers.models import Worker
    from marketplace.workers.services import id_cipher

    result = cli.invoke(
        args=[
            "seed",
            "synthetic",
            "--city",
            "xining",
            "--workers",
            "40",
            "--shifts",
            "30",
            "--months",
            "3",
            "--seed",
            "11",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "40 workers" in result.output
    assert database.scalar(select(func.count()).select_from(Worker)) == 40
    assert database.scalar(select(func.count()).select_from(Shift)) == 30
    assert database.scalar(select(func.count()).select_from(Earning)) > 0
    assert database.scalar(select(func.count()).select_from(Contribution)) > 0
    for worker in database.scalars(select(Worker)):
        number = id_cipher().decrypt(worker.id_number_ciphertext)
        assert parse_resident_id(number, date(2026, 1, 1)).birth_date.year == worker.birth_year
        assert worker.city == "xining" and worker.skills


def test_the_same_seed_gives_the_same_market(app, database):
    from marketplace.workers.models import Worker
    from seeds import synthetic

    def market() -> list[tuple]:
        with database.begin_nested() as run:
            synthetic.generate("wuxi", 30, 20, 2, 5, lambda _label, _rows: None)
            rows = [
                (w.name, w.lat, w.lon, w.district, tuple(w.skills), w.graduated_on)
                for w in database.scalars(select(Worker).order_by(Worker.id))
            ]
            run.rollback()
        return rows

    first = market()
    assert len(first) == 30
    assert market() == first


def test_the_id_key_rotates_without_a_pause(cli, app, database, make_worker, monkeypatch):
    """Old numbers stay readable and findable under the new key, then are re-encrypted."""
    from marketplace.workers import services as workers
    from marketplace.workers.models import Worker
    from tests.conftest import resident_id

    number = resident_id()
    worker = make_worker(id_number=number)
    old = app.config["ID_KEY"]
    monkeypatch.setitem(app.config, "ID_KEY", "the-new-id-key-0123456789")
    monkeypatch.setitem(app.config, "ID_KEY_RETIRED", (old,))
    # Before the rotation: the number is read and found under the retired key.
    assert workers.find_by_id_number(number).id == worker.id
    assert workers.id_cipher().decrypt(worker.id_number_ciphertext) == number
    assert not workers.id_cipher().is_current(worker.id_number_ciphertext)

    result = cli.invoke(args=["keys", "rotate-id-key"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 worker" in result.output
    monkeypatch.setitem(app.config, "ID_KEY_RETIRED", ())
    database.expire_all()
    rotated = database.get(Worker, worker.id)
    assert workers.id_cipher().decrypt(rotated.id_number_ciphertext) == number
    assert rotated.name == "张三"  # the sealed name reads under the new key alone
    assert workers.find_by_id_number(number).id == worker.id
    again = cli.invoke(args=["keys", "rotate-id-key"])
    assert again.exit_code != 0 and "nothing to rotate" in again.output


def test_the_id_key_rotation_seals_the_agreements_again(
    cli, app, database, client, headers_of, make_worker, make_job, monkeypatch
):
    """Agreements name their workers and are sealed under ID_KEY: they follow it to a new key."""
    from marketplace.bookings.models import Agreement
    from marketplace.database import personal_cipher

    worker = make_worker(name="欧阳明月")
    job = make_job()
    booked = client.post(f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(worker))
    assert booked.status_code == 201
    before = database.scalars(select(Agreement)).one()
    text_before, digest = before.text, before.sha256
    old = app.config["ID_KEY"]
    monkeypatch.setitem(app.config, "ID_KEY", "the-new-id-key-0123456789")
    monkeypatch.setitem(app.config, "ID_KEY_RETIRED", (old,))
    result = cli.invoke(args=["keys", "rotate-id-key"])
    assert result.exit_code == 0, result.output
    assert "and 1 agreement(s)" in result.output
    monkeypatch.setitem(app.config, "ID_KEY_RETIRED", ())
    database.expire_all()
    sealed = database.execute(
        sql_text("SELECT text, parties FROM agreements WHERE id = :id"), {"id": before.id}
    ).one()
    cipher = personal_cipher()
    assert cipher.is_current(sealed.text) and cipher.is_current(sealed.parties)
    after = database.get(Agreement, before.id)
    # The same text, read under the new key alone.
    assert (after.text, after.sha256) == (text_before, digest)
    assert after.parties["worker"]["name"] == "欧阳明月"


def test_during_a_rotation_a_number_under_the_old_key_is_still_unique(
    app, make_worker, make_user, monkeypatch
):
    from marketplace.errors import Conflict
    from marketplace.workers import services as workers
    from marketplace.workers.schemas import WorkerProfileInSchema
    from tests.conftest import resident_id, worker_body

    number = resident_id()
    make_worker(id_number=number)
    old = app.config["ID_KEY"]
    monkeypatch.setitem(app.config, "ID_KEY", "the-new-id-key-0123456789")
    monkeypatch.setitem(app.config, "ID_KEY_RETIRED", (old,))
    body = WorkerProfileInSchema().load(worker_body(id_number=number))
    with pytest.raises(Conflict, match="another worker"):
        workers.put_profile(make_user("worker"), body)


def create_admin(cli, phone: str, password: str):
    return cli.invoke(
        args=["users", "create", "--role", "admin", "--phone", phone, "--password", password]
    )


def admins(database) -> int:
    return database.scalar(select(func.count()).select_from(User).where(User.role == "admin"))


@pytest.mark.parametrize(
    "phone",
    [
        "13511112222\n",  # a trailing newline
        "１３５１１１１２２２２",  # full-width digits
        "١٣٥١١١١٢٢٢٢",  # Arabic-Indic digits
        " 13511112222",
        "135 1111 2222",
    ],
)
def test_users_create_refuses_a_phone_that_is_not_eleven_ascii_digits(cli, database, phone):
    before = admins(database)
    result = create_admin(cli, phone, "long-enough-1")
    assert result.exit_code != 0
    assert "mainland mobile number" in result.output
    assert admins(database) == before


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "most common passwords"),
        ("password1", "most common passwords"),
        ("Woaini1314", "most common passwords"),
        ("admin-13511112222", "must not contain the phone number"),
        ("short-7", "at least 8 characters"),
    ],
)
def test_users_create_refuses_a_weak_password_saying_why(cli, database, password, why):
    result = create_admin(cli, "13511112222", password)
    assert result.exit_code != 0
    assert why in result.output
    assert users_with(database, "13511112222") == []


def test_users_create_accepts_a_password_that_meets_the_rules(cli, database):
    result = create_admin(cli, "13511112222", "demo-pass-2026")
    assert result.exit_code == 0, result.output
    assert len(users_with(database, "13511112222")) == 1


def test_seed_demo_shows_protection_and_repeat_work(cli, database):
    """make run shows a held post, a case, a weekly series offered to a crew, a favourite and a
    block (issues #16 and #17)."""
    from marketplace.bookings.models import Block, Booking, Favourite
    from marketplace.disputes.models import Case
    from marketplace.jobs.models import Job, Shift

    database.execute(AccessToken.__table__.delete())
    database.execute(User.__table__.delete())
    assert cli.invoke(args=["seed", "demo"]).exit_code == 0
    assert database.scalar(select(func.count()).where(Job.review_status == "held")) == 1
    assert {case.kind for case in database.scalars(select(Case))} == {"dispute", "wage_arrears"}
    series = database.scalar(select(Job).where(Job.repeat.is_not(None)))
    assert series is not None and series.repeat["weekdays"] == [0, 2, 4]
    offers = database.scalar(
        select(func.count())
        .select_from(Booking)
        .join(Shift, Shift.id == Booking.shift_id)
        .where(Shift.job_id == series.id, Booking.status == "offered")
    )
    assert offers == len(series.shifts) > 0
    assert database.scalar(select(func.count()).select_from(Favourite)) == 1
    assert database.scalar(select(func.count()).select_from(Block)) == 1


def test_seed_demo_holds_an_example_draft_of_xining_s_next_policy(cli, database):
    """The desk can show a draft: 西宁's made-up successor, uploaded by the admin, not published."""
    from marketplace.audit.models import AuditEvent
    from marketplace.subsidies.models import PolicyVersion

    database.execute(AccessToken.__table__.delete())
    database.execute(User.__table__.delete())
    assert cli.invoke(args=["seed", "demo"]).exit_code == 0
    [draft] = database.scalars(
        select(PolicyVersion).where(PolicyVersion.policy_id == "xining-2026-draft")
    )
    assert (draft.city, draft.version, draft.status) == ("xining", 1, "draft")
    assert draft.created_by is not None and draft.published_at is None
    assert "示例，非真实文件" in draft.content
    assert 'document_number = "示例〔2026〕1号（示例，非真实文件）"' in draft.content
    assert "effective_from = 2026-05-08" in draft.content and "effective_to" not in draft.content
    drafted = database.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "policy.drafted", AuditEvent.entity_id == "xining-2026-draft"
        )
    )
    assert drafted is not None and drafted.actor_id == draft.created_by
    # The desk can simulate it: a new policy, so nothing published to compare with.
    from marketplace.subsidies.evaluation import simulation

    admin = database.get(User, draft.created_by)
    answer = simulation.simulate(admin, "xining-2026-draft", 1, date(2026, 7, 1))
    assert answer["compared_with_current"] == {"flags": 0, "amount": "0.00", "version": None}


@pytest.mark.slow  # a million numbers: about 6 s
def test_a_million_synthetic_workers_have_a_million_id_numbers():
    """Issue #19: `seed synthetic --workers 1000000` stopped on a UNIQUE id_number_hash."""
    from seeds.places import REGION_CODES
    from seeds.synthetic import person_of

    regions = REGION_CODES["wuxi"]
    numbers = {person_of(regions, index)[2] for index in range(1_000_000)}
    assert len(numbers) == 1_000_000
