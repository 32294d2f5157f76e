"""The skills catalogue (contract v1.1 "Everyday use"): one list of codes with Chinese names,
the only skills profiles and jobs accept; older free tags migrated to codes."""

from __future__ import annotations

import flask_migrate
from sqlalchemy import text

from marketplace import create_app
from marketplace.extensions import db
from marketplace.jobs.categories import CATEGORY_SKILLS
from marketplace.workers.skills import SKILLS
from tests.conftest import SECRETS, job_body, worker_body

CONTRACT_CODES = {
    "cleaning",
    "delivery",
    "elderly_care",
    "catering",
    "moving",
    "childcare",
    "security",
    "warehouse",
    "retail",
    "driving",
}


def test_anyone_lists_the_catalogue_with_chinese_names(client):
    response = client.get("/api/v1/skills")
    assert response.status_code == 200
    listed = {item["code"]: item["name"] for item in response.get_json()}
    assert set(listed) >= CONTRACT_CODES
    assert listed["elderly_care"] == "养老护理"
    assert all(name and not name.isascii() for name in listed.values())


def test_every_category_draws_on_catalogue_skills():
    assert {skill for skills in CATEGORY_SKILLS.values() for skill in skills} <= set(SKILLS)


def test_a_profile_with_an_unknown_skill_is_422_naming_it(client, make_user, auth_headers):
    headers = auth_headers(make_user("worker"))
    body = worker_body(skills=["cleaning", "elder_care", "电工证"])
    response = client.put("/api/v1/workers/me", json=body, headers=headers)
    assert response.status_code == 422
    [message] = response.get_json()["errors"]["json"]["skills"]
    assert "elder_care" in message and "电工证" in message and "cleaning" not in message
    ok = client.put(
        "/api/v1/workers/me", json=worker_body(skills=["elderly_care"]), headers=headers
    )
    assert ok.status_code == 200 and ok.get_json()["skills"] == ["elderly_care"]


def test_a_job_with_an_unknown_skill_is_422(client, make_employer, headers_of):
    headers = headers_of(make_employer())
    response = client.post(
        "/api/v1/jobs", json=job_body(required_skills=["waiting"]), headers=headers
    )
    assert response.status_code == 422
    assert "waiting" in str(response.get_json()["errors"]["json"]["required_skills"])
    search = client.get("/api/v1/shifts", query_string={"skill": "waiting"}, headers=headers)
    assert search.status_code == 422


def test_an_unrelated_skill_does_not_raise_a_candidates_score(
    client, make_job, make_worker, make_user, auth_headers
):
    shift = make_job(category="保洁绿化").shifts[0]
    plain = make_worker(skills=[])
    embroiderer = make_worker(skills=["embroidery"])
    cleaner = make_worker(skills=["cleaning"])
    listed = client.get(
        f"/api/v1/shifts/{shift.id}/candidates", headers=auth_headers(make_user("admin"))
    ).get_json()
    skills = {c["worker_id"]: c["components"]["skills"] for c in listed}
    assert skills[embroiderer.id] == skills[plain.id] < skills[cleaner.id]


def test_the_migration_turns_free_tags_into_codes(tmp_path):
    scratch = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'skills.db'}", **SECRETS}
    )
    with scratch.app_context():
        flask_migrate.upgrade(revision="0024")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, phone, password_hash, role, created_at) "
                    "VALUES (1, 'p', 'x', 'worker', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO workers (id, user_id, name, id_number_ciphertext, id_number_hash, "
                    "id_number_masked, birth_year, gender, city, resident, lat, lon, cell, "
                    "availability, max_distance_km, reach_bucket, available_0, available_1, "
                    "available_2, available_3, available_4, available_5, available_6, created_at, "
                    "updated_at, veteran, migrant_worker) VALUES (1, 1, 'n', 'c', 'h', 'm', 1990, "
                    "'male', 'wuxi', 1, 31.5, 120.3, 1, '[]', 20, 20, 0, 0, 0, 0, 0, 0, 0, "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, 0)"
                )
            )
            for skill in (
                "elder_care",
                "elderly_care",
                "waiting",
                "电工证",
                "juggling",
                "cleaning",
            ):
                connection.execute(
                    text("INSERT INTO worker_skills (worker_id, skill) VALUES (1, :skill)"),
                    {"skill": skill},
                )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            found = (
                connection.execute(text("SELECT skill FROM worker_skills ORDER BY skill"))
                .scalars()
                .all()
            )
        assert found == ["catering", "cleaning", "elderly_care", "electrician"]
        db.engine.dispose()
