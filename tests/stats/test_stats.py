"""Monthly statistics against hand-computed values on a small fixed data set."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.bookings.models import Booking
from marketplace.earnings.models import Contribution, Earning
from marketplace.workers.models import Worker
from tests.conftest import resident_id, shift_times

MONTHLY = "/api/v1/stats/monthly"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def income(database, worker, amount, hours, month="2026-03", booking=None):
    database.add(
        Earning(
            worker_id=worker.id,
            booking_id=booking.id if booking else None,
            employer_id=booking.employer_id if booking else None,
            source="platform" if booking else "partner",
            month=month,
            hours=Decimal(hours),
            amount=Decimal(amount),
            recorded_at=NOW,
        )
    )


@pytest.fixture
def march(database, make_worker, make_job):
    """Three active 无锡 workers in 2026-03 (and others who must not count)."""
    a = make_worker(
        id_number=resident_id(gender="female"),
        district="梁溪区",
        unemployment_registered_on="2025-12-10",
    )
    b = make_worker(id_number=resident_id(gender="male"), district="新吴区")
    c = make_worker(
        id_number=resident_id(gender="male"), district=None, graduated_on="2024-06-30", veteran=True
    )
    other_city = make_worker(city="xining")
    other_month = make_worker()
    income(database, a, "3000.00", "100")
    database.add(
        Contribution(
            worker_id=a.id,
            month="2026-03",
            pension=Decimal("600.00"),
            medical=Decimal("240.00"),
            recorded_at=NOW,
        )
    )
    job = make_job(category="家政", hourly_wage="35.00")
    shift = job.shifts[0]
    booking = Booking(
        shift_id=shift.id,
        worker_id=b.id,
        employer_id=job.employer_id,
        status="completed",
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        created_at=NOW,
        updated_at=NOW,
    )
    database.add(booking)
    database.flush()
    income(database, b, "280.00", "8", booking=booking)
    income(database, b, "1000.00", "50")
    income(database, c, "2700.00", "120")
    income(database, other_city, "5000.00", "100")
    income(database, other_month, "5000.00", "100", month="2026-04")
    database.commit()
    return a, b, c


def test_the_months_figures_match_the_hand_computed_ones(client, auth_headers, make_user, march):
    official = auth_headers(make_user("official", city="wuxi"))
    body = client.get(
        MONTHLY, query_string={"city": "wuxi", "month": "2026-03"}, headers=official
    ).get_json()
    assert body["active_workers"] == 3
    assert body["hours"] == "278.00" and body["income_total"] == "6980.00"
    assert body["income_median"] == "2700.00"
    # A reached 2660.00 (the monthly minimum from 2026-01-01) and paid premiums; C paid none.
    assert body["new_urban_employment"] == 1
    groups = body["by_group"]
    assert groups["unemployed"] == {"workers": 1, "hours": "100.00", "income": "3000.00"}
    assert groups["difficulty"] == {"workers": 0, "hours": "0.00", "income": "0.00"}
    assert (
        groups["graduate"]
        == groups["veteran"]
        == {"workers": 1, "hours": "120.00", "income": "2700.00"}
    )
    assert groups["migrant_worker"]["workers"] == 0
    assert body["by_district"] == {
        "梁溪区": {"workers": 1, "hours": "100.00", "income": "3000.00"},
        "新吴区": {"workers": 1, "hours": "58.00", "income": "1280.00"},
        "未填写": {"workers": 1, "hours": "120.00", "income": "2700.00"},
    }
    assert body["by_category"] == {"家政": {"workers": 1, "hours": "8.00", "income": "280.00"}}


@pytest.mark.parametrize(("ended_on", "counted"), [(date(2026, 3, 1), 1), (date(2026, 2, 28), 0)])
def test_a_group_counts_through_the_month_its_status_ended(
    client, auth_headers, make_user, database, march, ended_on, counted
):
    """A's registered unemployment, ended by an official: March counts it only if it ended in
    March or later (a status holds through its end month)."""
    a = march[0]
    database.get(Worker, a.id).unemployed_ends_on = ended_on
    database.commit()
    official = auth_headers(make_user("official", city="wuxi"))
    body = client.get(
        MONTHLY, query_string={"city": "wuxi", "month": "2026-03"}, headers=official
    ).get_json()
    assert body["by_group"]["unemployed"]["workers"] == counted


def test_the_trend_sums_each_month_of_the_last_twelve(database, make_worker, march):
    from marketplace.common.months import Month
    from marketplace.stats.services import trend

    a, *_ = march
    income(database, a, "900.00", "30", month="2026-04")
    income(database, make_worker(), "0.00", "5", month="2026-04")  # no income: not active
    database.commit()
    series = trend("wuxi", Month(2026, 4))
    assert [point["month"] for point in series][:2] == ["2025-05", "2025-06"]
    assert len(series) == 12 and series[-1]["month"] == "2026-04"
    by_month = {point["month"]: point for point in series}
    # The same 2026-03 as the monthly figures; 2026-04 adds A's 900.00 to the other month's 5000.
    assert by_month["2026-03"] == {
        "month": "2026-03",
        "active_workers": 3,
        "hours": Decimal("278.00"),
        "income": Decimal("6980.00"),
    }
    assert by_month["2026-04"] == {
        "month": "2026-04",
        "active_workers": 2,
        "hours": Decimal("130.00"),
        "income": Decimal("5900.00"),
    }
    assert by_month["2025-05"]["active_workers"] == 0 and by_month["2025-05"]["income"] == 0


def test_an_even_count_takes_the_mean_of_the_middle_two(
    client, auth_headers, make_user, make_worker, database, march
):
    income(database, make_worker(), "1500.00", "10")
    database.commit()
    body = client.get(
        MONTHLY,
        query_string={"city": "wuxi", "month": "2026-03"},
        headers=auth_headers(make_user("admin")),
    ).get_json()
    assert body["active_workers"] == 4 and body["income_median"] == "2100.00"  # (1500 + 2700) / 2


def test_an_empty_month_is_all_zeros(client, auth_headers, make_user):
    body = client.get(
        MONTHLY,
        query_string={"city": "xining", "month": "2025-01"},
        headers=auth_headers(make_user("admin")),
    ).get_json()
    assert (body["active_workers"], body["income_total"], body["income_median"]) == (
        0,
        "0.00",
        "0.00",
    )


@pytest.mark.parametrize(
    ("role", "city", "query", "status"),
    [
        ("official", "xining", {"city": "wuxi", "month": "2026-03"}, 403),
        ("worker", None, {"city": "wuxi", "month": "2026-03"}, 403),
        ("employer", None, {"city": "wuxi", "month": "2026-03"}, 403),
        ("admin", None, {"city": "shanghai", "month": "2026-03"}, 422),
        ("admin", None, {"city": "wuxi", "month": "2026-13"}, 422),
        ("admin", None, {"city": "wuxi", "month": "0001-01"}, 422),
        ("admin", None, {"city": "wuxi"}, 422),
    ],
)
def test_who_may_ask_and_what_is_refused(
    client, auth_headers, make_user, role, city, query, status
):
    response = client.get(
        MONTHLY, query_string=query, headers=auth_headers(make_user(role, city=city))
    )
    assert response.status_code == status


EXPORT = "/api/v1/stats/workers/export"


def test_the_workers_export_has_a_row_per_active_worker_with_masked_ids(
    client, auth_headers, make_user, march
):
    import csv
    import io

    a, b, c = march
    response = client.get(
        EXPORT,
        query_string={"city": "wuxi", "month": "2026-03"},
        headers=auth_headers(make_user("official", city="wuxi")),
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert table[0] == [
        "劳动者编号",
        "姓名",
        "身份证号码（脱敏）",
        "联系电话",
        "工作时长（小时）",
        "劳动收入（元）",
        "工作地点",
        "用工单位数",
    ]
    by_id = {int(row[0]): row for row in table[1:]}
    assert set(by_id) == {a.id, b.id, c.id}
    assert by_id[b.id][4:6] == ["58.00", "1280.00"]
    assert "*" * 8 in by_id[b.id][2]
    assert "梁溪区" in by_id[b.id][6] and "导入收入（partner）" in by_id[b.id][6]
    assert by_id[b.id][7] == "1" and by_id[a.id][7] == "0"


def test_the_workers_export_as_excel(client, auth_headers, make_user, march):
    import io

    from openpyxl import load_workbook

    response = client.get(
        EXPORT,
        query_string={"city": "wuxi", "month": "2026-03", "format": "xlsx"},
        headers=auth_headers(make_user("admin")),
    )
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "姓名" and len(rows) == 4
    assert sum(float(row[5]) for row in rows[1:]) == pytest.approx(6980.00)


def test_another_citys_official_cannot_export(client, auth_headers, make_user):
    response = client.get(
        EXPORT,
        query_string={"city": "wuxi", "month": "2026-03"},
        headers=auth_headers(make_user("official", city="xining")),
    )
    assert response.status_code == 403


def _downloads(database) -> list[AuditEvent]:
    database.expire_all()
    return list(
        database.scalars(select(AuditEvent).where(AuditEvent.action == "export.downloaded"))
    )


def test_each_workers_download_is_an_audit_event_with_its_city_month_and_row_count(
    client, auth_headers, make_user, march, database
):
    official = make_user("official", city="wuxi")
    query = {"city": "wuxi", "month": "2026-03", "format": "xlsx"}
    assert client.get(EXPORT, query_string=query, headers=auth_headers(official)).status_code == 200
    [event] = _downloads(database)
    assert (event.entity, event.entity_id, event.actor_id, event.city) == (
        "export",
        "active_workers",
        official.id,
        "wuxi",
    )
    assert event.data == {
        "export": "active_workers",
        "format": "xlsx",
        "filters": {"city": "wuxi", "month": "2026-03"},
        "rows": 3,
    }


@pytest.mark.parametrize(
    ("role", "city", "query"),
    [
        ("official", "xining", {"city": "wuxi", "month": "2026-03"}),
        ("worker", None, {"city": "wuxi", "month": "2026-03"}),
        ("admin", None, {"city": "wuxi", "month": "2026-13"}),
        ("admin", None, {"city": "wuxi", "month": "2026-03", "format": "pdf"}),
    ],
)
def test_a_refused_workers_download_leaves_no_audit_event(
    client, auth_headers, make_user, march, database, role, city, query
):
    response = client.get(EXPORT, query_string=query, headers=auth_headers(make_user(role, city)))
    assert response.status_code in (403, 422)
    assert _downloads(database) == []


def premium(database, worker, month):
    database.add(
        Contribution(
            worker_id=worker.id,
            month=month,
            pension=Decimal("600.00"),
            medical=Decimal("240.00"),
            recorded_at=NOW,
        )
    )


def newly_employed(client, headers, city, month):
    body = client.get(MONTHLY, query_string={"city": city, "month": month}, headers=headers)
    return body.get_json()["new_urban_employment"]


def test_new_urban_employment_counts_a_person_once_a_year(
    client, auth_headers, make_user, make_worker, database
):
    """无锡 第四条 counts persons: a worker employed in January and again in March counts in
    January only; a worker whose first qualifying month of the year is March counts in March;
    a month below that month's minimum wage, or without premiums, does not qualify."""
    steady, late, short, unpaid = (make_worker() for _ in range(4))
    for month in ("2026-01", "2026-02", "2026-03"):
        income(database, steady, "2700.00", "160", month=month)
        premium(database, steady, month)
    income(database, late, "2000.00", "100", month="2026-01")  # below 2660.00: not yet
    premium(database, late, "2026-01")
    income(database, late, "2660.00", "150", month="2026-03")  # exactly the bar
    premium(database, late, "2026-03")
    income(database, short, "2659.99", "150", month="2026-03")
    premium(database, short, "2026-03")
    income(database, unpaid, "3000.00", "150", month="2026-03")  # no premium
    # Counted again the next year: once a year, not once ever.
    income(database, steady, "2700.00", "160", month="2025-12")
    premium(database, steady, "2025-12")
    database.commit()
    official = auth_headers(make_user("official", city="wuxi"))

    assert newly_employed(client, official, "wuxi", "2026-01") == 1  # steady
    assert newly_employed(client, official, "wuxi", "2026-02") == 0  # steady, again: not counted
    assert newly_employed(client, official, "wuxi", "2026-03") == 1  # late
    assert newly_employed(client, official, "wuxi", "2025-12") == 1  # steady, in its own year


def test_new_urban_employment_is_null_where_the_citys_document_has_no_such_count(
    client, auth_headers, make_user, make_worker, database
):
    worker = make_worker(city="xining")
    income(database, worker, "5000.00", "160")
    premium(database, worker, "2026-03")
    database.commit()
    official = auth_headers(make_user("official", city="xining"))
    assert newly_employed(client, official, "xining", "2026-03") is None


def test_hours_without_injury_cover_are_counted_so(client, auth_headers, make_user, march):
    """B's 8 booked hours are on a job stating no cover; imported income is in neither."""
    body = client.get(
        MONTHLY,
        query_string={"city": "wuxi", "month": "2026-03"},
        headers=auth_headers(make_user("official", city="wuxi")),
    ).get_json()
    assert (body["covered_hours"], body["uncovered_hours"]) == ("0.00", "8.00")


def test_hours_are_covered_when_the_cover_holds_on_the_shifts_day_in_city_time(
    client, auth_headers, make_user, make_worker, make_job, database
):
    """Shifts at 07:00 in 无锡 (23:00 UTC the day before): a cover ending on the shift's local day
    covers it; one ending the day before does not, although the UTC date is that day."""
    from marketplace.jobs.models import Job

    worker = make_worker()
    hours = {}
    for name, valid_days in (("through", 0), ("day before", -1)):
        job = make_job(
            shifts=[{**shift_times(days_ahead=3, start_hour=7, hours=4), "headcount": 1}]
        )
        shift = job.shifts[0]
        local_day = shift.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
        database.get(Job, job.id).injury_valid_to = local_day + timedelta(days=valid_days)
        booking = Booking(
            shift_id=shift.id,
            worker_id=worker.id,
            employer_id=job.employer_id,
            status="completed",
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            created_at=NOW,
            updated_at=NOW,
        )
        database.add(booking)
        database.flush()
        hours[name] = "3.75" if name == "through" else "2.50"
        income(database, worker, "100.00", hours[name], booking=booking)
    database.commit()
    body = client.get(
        MONTHLY,
        query_string={"city": "wuxi", "month": "2026-03"},
        headers=auth_headers(make_user("admin")),
    ).get_json()
    assert (body["covered_hours"], body["uncovered_hours"]) == ("3.75", "2.50")
