"""The synthetic market is made in bounded chunks (issue #19: 1M workers held 2.5 GB): the
chunk sizes change neither the market nor the row counts, no statement writes more than a
chunk, and progress comes as lines of rows per table."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from marketplace.earnings.models import Contribution, Earning
from marketplace.jobs.models import Job, Shift
from marketplace.workers.models import Worker, WorkerSkill
from seeds import synthetic

TABLES = (Worker, WorkerSkill, Job, Shift, Earning, Contribution)


def _fingerprint(database) -> tuple[dict[str, int], str]:
    """Row counts per table, and a digest of the values the random source drew."""
    counts = {
        model.__tablename__: database.scalar(select(func.count()).select_from(model))
        for model in TABLES
    }
    digest = hashlib.sha256()
    for row in database.execute(
        select(
            Worker.lat, Worker.lon, Worker.district, Worker.max_distance_km, Worker.graduated_on
        ).order_by(Worker.id)
    ):
        digest.update(repr(tuple(row)).encode())
    for row in database.execute(
        select(Shift.starts_at, Shift.ends_at, Shift.headcount).order_by(Shift.id)
    ):
        digest.update(repr(tuple(row)).encode())
    for row in database.execute(
        select(Earning.month, Earning.hours, Earning.amount).order_by(Earning.id)
    ):
        digest.update(repr(tuple(row)).encode())
    for row in database.execute(
        select(Contribution.month, Contribution.pension).order_by(Contribution.id)
    ):
        digest.update(repr(tuple(row)).encode())
    return counts, digest.hexdigest()


def _market(database, progress=lambda _label, _rows: None) -> tuple[dict[str, int], str]:
    with database.begin_nested() as run:
        summary = synthetic.generate("wuxi", 60, 50, 3, 7, progress)
        fingerprint = _fingerprint(database)
        run.rollback()
    assert summary["workers"] == 60 and summary["shifts"] == 50
    assert fingerprint[0]["earnings"] == summary["income records"]
    return fingerprint


def test_the_chunk_sizes_change_nothing_and_bound_every_statement(app, database, monkeypatch):
    whole = _market(database)
    written: list[tuple[str, int]] = []
    monkeypatch.setattr(synthetic, "CHUNK", 7)
    monkeypatch.setattr(synthetic, "HISTORY_CHUNK", 4)
    monkeypatch.setattr(synthetic, "JOB_CHUNK", 3)
    chunked = _market(database, lambda label, rows: written.append((label, rows)))
    assert chunked == whole
    assert max(rows for _, rows in written) <= 7 * 3  # four workers' three months at most
    assert max(rows for label, rows in written if label != "monthly incomes") <= 7
    # Every table had many small statements, and they add up to the rows written.
    totals: dict[str, int] = {}
    for label, rows in written:
        totals[label] = totals.get(label, 0) + rows
    counts = chunked[0]
    assert totals["workers"] == counts["workers"] == 60
    assert totals["worker skills"] == counts["worker_skills"]
    assert totals["shifts"] == counts["shifts"] == 50
    assert totals["monthly incomes"] == counts["earnings"]
    assert totals["premium months"] == counts["contributions"]
    assert sum(1 for label, _ in written if label == "workers") == 9  # ⌈60 / 7⌉


def test_progress_lines_say_rows_per_table_and_seconds():
    now = [0.0]
    lines: list[str] = []
    progress = synthetic.ProgressLines(lines.append, every=5.0, clock=lambda: now[0])
    for second, label, rows in [
        (1.0, "workers", 5000),
        (2.0, "worker skills", 10_000),
        (6.0, "workers", 5000),  # a line: five seconds have passed
        (7.0, "monthly incomes", 40_000),
        (8.0, "monthly incomes", 40_000),
        (12.0, "premium months", 20_000),  # another: only what moved since the last
    ]:
        now[0] = second
        progress(label, rows)
    assert len(lines) == 2
    assert lines[0].startswith("[    6.0 s] workers 10,000, worker skills 10,000 (peak ")
    assert lines[1].startswith("[   12.0 s] monthly incomes 80,000, premium months 20,000 (")
    now[0] = 13.0
    progress.finish()
    assert lines[2].split() == ["workers", "10,000", "rows", "5.0", "s"]  # 1 + 4 seconds
    assert lines[3].split() == ["worker", "skills", "10,000", "rows", "1.0", "s"]
    assert lines[4].split() == ["monthly", "incomes", "80,000", "rows", "2.0", "s"]
    assert lines[-1].split()[:5] == ["all", "120,000", "rows", "13.0", "s,"]


@pytest.mark.slow  # two hundred chunks of workers: about 20 s
def test_a_seed_of_many_chunks_keeps_its_memory(app, database):
    """Twenty thousand workers with a year of history: what the run holds stays flat."""
    import tracemalloc

    tracemalloc.start()
    with database.begin_nested() as run:
        synthetic.generate("wuxi", 20_000, 2_000, 12, 1, lambda _label, _rows: None)
        _, peak = tracemalloc.get_traced_memory()
        run.rollback()
    tracemalloc.stop()
    # Rows of all of it would be ~170k income dicts (about 100 MB); a chunk is a few MB.
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MB"
