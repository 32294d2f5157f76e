"""Profiles round-trip (contract v1.1 "Everyday use"): the body of a GET can be sent back with
PUT as it is, and PATCH changes only the fields it gives — for workers, employers and brokers."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.workers.models import Worker
from marketplace.workers.services import id_cipher
from tests.conftest import employer_body, worker_body

ME = "/api/v1/workers/me"


@pytest.fixture
def worker(client, make_user, auth_headers):
    """A worker who wrote a profile; its headers and the body it sent."""
    headers = auth_headers(make_user("worker"))
    body = worker_body(availability=[{"weekday": 1, "start": "08:00", "end": "18:00"}])
    assert client.put(ME, json=body, headers=headers).status_code == 200
    return headers, body


def test_the_body_of_a_get_goes_back_with_put_unchanged(client, worker, database):
    headers, body = worker
    read = client.get(ME, headers=headers).get_json()
    assert "*" in read["id_number"] and "rating" in read and "birth_date" in read
    again = client.put(ME, json=read, headers=headers)
    assert again.status_code == 200
    assert again.get_json() == read
    stored = database.scalar(select(Worker.id_number_ciphertext))
    assert id_cipher().decrypt(stored) == body["id_number"]  # the mask kept the number


def test_a_mask_that_is_not_the_profiles_is_refused(client, worker):
    headers, _ = worker
    read = client.get(ME, headers=headers).get_json()
    forged = read | {"id_number": "110101********0000"}
    response = client.put(ME, json=forged, headers=headers)
    assert response.status_code == 422 and "id_number" in response.get_json()["errors"]["json"]


def test_a_mask_on_a_new_profile_is_refused(client, make_user, auth_headers):
    body = worker_body(id_number="320206********1234")
    response = client.put(ME, json=body, headers=auth_headers(make_user("worker")))
    assert response.status_code == 422


def test_read_only_fields_sent_back_change_nothing(client, worker, database):
    headers, _ = worker
    read = client.get(ME, headers=headers).get_json()
    tampered = read | {"rating": "5.00", "reliability": 1.0, "id": 999, "gender": "female"}
    assert client.put(ME, json=tampered, headers=headers).status_code == 200
    after = client.get(ME, headers=headers).get_json()
    assert (after["rating"], after["reliability"], after["id"], after["gender"]) == (
        read["rating"],
        read["reliability"],
        read["id"],
        read["gender"],
    )


def test_an_unknown_field_is_still_refused(client, worker):
    headers, body = worker
    assert client.put(ME, json=body | {"salary": 1}, headers=headers).status_code == 422
    assert client.patch(ME, json={"salary": 1}, headers=headers).status_code == 422


def test_patch_changes_only_the_given_fields(client, worker):
    headers, _ = worker
    before = client.get(ME, headers=headers).get_json()
    response = client.patch(
        ME, json={"max_distance_km": 8, "skills": ["cleaning", "catering"]}, headers=headers
    )
    assert response.status_code == 200
    after = response.get_json()
    assert after["max_distance_km"] == 8 and after["skills"] == ["catering", "cleaning"]
    assert {k: v for k, v in after.items() if k not in {"max_distance_km", "skills"}} == {
        k: v for k, v in before.items() if k not in {"max_distance_km", "skills"}
    }


def test_patch_checks_the_whole_as_put_does(client, worker):
    headers, _ = worker
    wrong_district = client.patch(ME, json={"city": "xining"}, headers=headers)
    assert wrong_district.status_code == 422  # 梁溪区 is not a district of 西宁
    assert "district" in wrong_district.get_json()["errors"]["json"]
    future = client.patch(ME, json={"graduated_on": str(date(2099, 1, 1))}, headers=headers)
    assert future.status_code == 422
    assert client.get(ME, headers=headers).get_json()["city"] == "wuxi"


def test_patch_declares_a_group_as_put_does(client, worker):
    headers, _ = worker
    response = client.patch(ME, json={"unemployment_registered_on": "2025-12-10"}, headers=headers)
    assert response.status_code == 200
    statuses = client.get(f"{ME}/group-statuses", headers=headers).get_json()
    assert [(s["group"], s["status"]) for s in statuses] == [("unemployed", "declared")]


def test_patch_needs_a_profile_and_the_worker_role(client, make_user, auth_headers):
    assert (
        client.patch(
            ME, json={"name": "李四"}, headers=auth_headers(make_user("worker"))
        ).status_code
        == 404
    )
    assert (
        client.patch(
            ME, json={"name": "李四"}, headers=auth_headers(make_user("employer"))
        ).status_code
        == 403
    )


# --- employers and brokers ------------------------------------------------------------------


def test_an_employer_sends_its_profile_back_and_patches_it(client, make_user, auth_headers):
    headers = auth_headers(make_user("employer"))
    url = "/api/v1/employers/me"
    assert client.put(url, json=employer_body(), headers=headers).status_code == 200
    read = client.get(url, headers=headers).get_json()
    assert client.put(url, json=read, headers=headers).get_json() == read
    patched = client.patch(url, json={"address": "无锡市梁溪区中山路8号"}, headers=headers)
    assert patched.status_code == 200
    assert patched.get_json() == read | {"address": "无锡市梁溪区中山路8号"}
    assert client.patch(url, json={"credit_code": "123"}, headers=headers).status_code == 422


def test_a_broker_sends_its_profile_back_and_patches_it(client, make_user, auth_headers):
    headers = auth_headers(make_user("broker"))
    url = "/api/v1/brokers/me"
    body = {"name": "李经纪", "city": "wuxi", "licence_number": "WX-2026-001"}
    assert client.put(url, json=body, headers=headers).status_code == 200
    read = client.get(url, headers=headers).get_json()
    assert client.put(url, json=read, headers=headers).get_json() == read
    patched = client.patch(url, json={"name": "李经纪人"}, headers=headers)
    assert patched.get_json() == read | {"name": "李经纪人"}
    assert (
        client.patch(url, json={"name": "x"}, headers=auth_headers(make_user("worker"))).status_code
        == 403
    )
