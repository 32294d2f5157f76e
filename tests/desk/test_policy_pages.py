"""The desk's policy versions (issue #18): the list, a draft beside the published version with
its simulation charted, and publication from the page by an official of the city only."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.subsidies.models import PolicyVersion
from tests.desk.conftest import POLICY_ID as WUXI
from tests.desk.conftest import post_form, sign_in

DRAFT_PAGE = f"/desk/policies/{WUXI}/versions/2"
PUBLISH = f"{DRAFT_PAGE}/publish"


def statuses(database) -> dict[int, str]:
    database.expire_all()
    return dict(
        database.execute(
            select(PolicyVersion.version, PolicyVersion.status).where(
                PolicyVersion.policy_id == WUXI
            )
        ).all()
    )


def test_the_list_shows_the_city_s_policies_with_their_versions(
    client, wuxi_official, policy_draft
):
    sign_in(client, wuxi_official)
    page = client.get("/desk/policies").get_data(as_text=True)
    assert "锡政办发〔2021〕26号" in page  # named by its document number
    assert "草稿" in page and "已发布" in page
    assert policy_draft.sha256[:12] in page
    assert DRAFT_PAGE in page
    assert "xining-2021-33" not in page  # another city's policy is not listed


def test_an_admin_sees_every_city_s_policies(client, admin, policy_draft):
    sign_in(client, admin)
    page = client.get("/desk/policies").get_data(as_text=True)
    assert "/desk/policies/xining-2021-33/versions/1" in page and DRAFT_PAGE in page


def test_the_draft_beside_the_published_version_marks_the_changed_amount(
    client, wuxi_official, policy_draft, flagged
):
    sign_in(client, wuxi_official)
    page = client.get(DRAFT_PAGE).get_data(as_text=True)
    changed = re.findall(r'<tr class="changed">(.*?)</tr>', page, re.S)
    assert len(changed) == 1
    assert "失业人员补助标准（元/人）" in changed[0]
    assert "850.00" in changed[0] and "800.00" in changed[0] and "有变化" in changed[0]
    assert "二：失业人员……按800元/人" in changed[0]
    assert page.count('<tr class="same">') > 5
    # The worker of ``flagged`` is due 无锡's service subsidy: simulated, then charted.
    assert re.search(r'<svg[^>]*aria-label="各项目补贴金额（元）"', page)
    assert re.search(r'<svg[^>]*aria-label="各月补贴金额（元）"', page)
    assert "发布此版本" in page


def test_publishing_from_the_page_supersedes_the_published_version(
    client, wuxi_official, policy_draft, database
):
    sign_in(client, wuxi_official)
    response = post_form(client, DRAFT_PAGE, PUBLISH)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(DRAFT_PAGE)
    page = client.get(DRAFT_PAGE).get_data(as_text=True)
    assert "已发布" in page and "发布此版本" not in page
    assert statuses(database) == {1: "superseded", 2: "published"}


def test_a_refused_publication_shows_why_with_409(client, wuxi_official, policy_draft, database):
    sign_in(client, wuxi_official)
    assert post_form(client, DRAFT_PAGE, PUBLISH).status_code == 303
    again = post_form(client, DRAFT_PAGE, PUBLISH)
    assert again.status_code == 409
    assert '<p class="error" role="alert">第 2 版已经发布</p>' in again.get_data(as_text=True)
    assert statuses(database) == {1: "superseded", 2: "published"}


def test_an_admin_sees_no_button_and_may_not_publish(client, admin, policy_draft, database):
    sign_in(client, admin)
    page = client.get(DRAFT_PAGE)
    assert page.status_code == 200 and "发布此版本" not in page.get_data(as_text=True)
    assert post_form(client, DRAFT_PAGE, PUBLISH).status_code == 403
    assert statuses(database) == {1: "published", 2: "draft"}


def test_another_city_s_official_finds_no_such_policy(
    client, xining_official, policy_draft, database
):
    sign_in(client, xining_official)
    assert client.get(DRAFT_PAGE).status_code == 404
    assert post_form(client, "/desk/policies", PUBLISH).status_code == 404
    assert statuses(database) == {1: "published", 2: "draft"}
