"""The desk's review of job posts: the city's held posts with why, published or rejected."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.jobs.models import Job
from tests.desk.conftest import post_form, sign_in

PAGE = "/desk/reviews"


def status_of(database, job_id) -> str:
    database.expire_all()
    return database.scalar(select(Job.review_status).where(Job.id == job_id))


def test_the_page_lists_the_citys_held_posts_with_the_reason_in_words(
    client, wuxi_official, make_job
):
    held = make_job(title="商场保洁（需交押金）")
    published = make_job(title="写字楼保洁")
    sign_in(client, wuxi_official)
    page = client.get(PAGE).get_data(as_text=True)
    assert "商场保洁（需交押金）" in page and "写字楼保洁" not in page
    assert "标题或说明要求劳动者付费（押金）" in page and "fee_words" not in page
    assert (
        f"/desk/jobs/{held.id}/review" in page and f"/desk/jobs/{published.id}/review" not in page
    )


def test_another_citys_held_posts_are_not_listed(client, xining_official, make_job):
    make_job(title="保洁（需交押金）")
    sign_in(client, xining_official)
    assert "需交押金" not in client.get(PAGE).get_data(as_text=True)


def test_an_official_publishes_and_rejects_from_the_page(client, wuxi_official, make_job, database):
    first, second = make_job(description="先交培训费"), make_job(description="需交押金")
    sign_in(client, wuxi_official)
    published = post_form(client, PAGE, f"/desk/jobs/{first.id}/review", decision="publish")
    assert published.status_code == 303 and status_of(database, first.id) == "published"
    refused = post_form(client, PAGE, f"/desk/jobs/{second.id}/review", decision="reject")
    assert refused.status_code == 422 and status_of(database, second.id) == "held"
    assert "驳回" in refused.get_data(as_text=True)
    rejected = post_form(
        client, PAGE, f"/desk/jobs/{second.id}/review", decision="reject", reason="收取押金"
    )
    assert rejected.status_code == 303 and status_of(database, second.id) == "rejected"
    after = client.get(PAGE).get_data(as_text=True)
    assert "没有待审核的岗位" in after and "已驳回" in after


def test_another_citys_official_cannot_decide(client, xining_official, make_job, database):
    job = make_job(description="需交押金")
    sign_in(client, xining_official)
    response = post_form(client, PAGE, f"/desk/jobs/{job.id}/review", decision="publish")
    assert response.status_code == 403 and status_of(database, job.id) == "held"
