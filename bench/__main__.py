"""Run the benchmarks: ``python -m bench search|evaluation --backend sqlite --workers 10000``
(``evaluation --simulate``: one simulation of a draft over the same city; ``scale``: issue #19's
measures on one seeded market per database and size)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from bench import evaluation, hotpath, load, matching, scale, search


def main() -> None:
    """Parse the command line and run the chosen benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="benchmark", required=True)
    search_parser = commands.add_parser("search", help="shift search latency")
    search_parser.add_argument(
        "--backend", choices=("sqlite", "postgres"), nargs="+", default=["sqlite", "postgres"]
    )
    search_parser.add_argument("--workers", type=int, nargs="+", default=[10_000, 100_000])
    search_parser.add_argument("--shifts", type=int, default=20_000)
    search_parser.add_argument("--repeat", type=int, default=300)
    matching_parser = commands.add_parser("matching", help="candidates latency and assignment")
    matching_parser.add_argument(
        "--backend", choices=("sqlite", "postgres"), nargs="+", default=["sqlite", "postgres"]
    )
    matching_parser.add_argument("--workers", type=int, nargs="+", default=[10_000, 100_000])
    matching_parser.add_argument("--shifts", type=int, default=20_000)
    matching_parser.add_argument("--repeat", type=int, default=200)
    matching_parser.add_argument("--naive-repeat", type=int, default=5)
    matching_parser.add_argument("--assignment-workers", type=int, default=20_000)
    matching_parser.add_argument("--assignment-shifts", type=int, default=2_000)
    matching_parser.add_argument("--week-places", type=int, default=2_000)
    matching_parser.add_argument(
        "--only-assignment", action="store_true", help="skip the candidates' latency"
    )
    evaluation_parser = commands.add_parser("evaluation", help="subsidy evaluation of a city")
    evaluation_parser.add_argument(
        "--backend", choices=("sqlite", "postgres"), nargs="+", default=["sqlite", "postgres"]
    )
    evaluation_parser.add_argument("--workers", type=int, nargs="+", default=[10_000, 100_000])
    evaluation_parser.add_argument("--months", type=int, default=12)
    evaluation_parser.add_argument(
        "--simulate",
        action="store_true",
        help="time one simulation of a draft (one amount changed) instead; writes nothing",
    )
    load_parser = commands.add_parser(
        "load", help="gunicorn on PostgreSQL: the mix against the bare health endpoint"
    )
    load_parser.add_argument(
        "--database",
        default=os.environ.get("LOAD_DATABASE_URL", load.DEFAULT_DATABASE),
        help="a dedicated PostgreSQL database, emptied first (env LOAD_DATABASE_URL)",
    )
    load_parser.add_argument("--workers", type=int, default=10_000, help="workers in the city")
    load_parser.add_argument("--shifts", type=int, default=5_000, help="shifts of the market")
    load_parser.add_argument("--duration", type=int, default=30, help="seconds of each run")
    load_parser.add_argument("--rounds", type=int, default=2, help="bare+mix pairs to run")
    load_parser.add_argument(
        "--connections", type=int, help="wrk connections (default: twice the gunicorn workers)"
    )
    load_parser.add_argument("--wrk-threads", type=int, default=1)
    load_parser.add_argument(
        "--server-workers",
        type=int,
        nargs="+",
        default=[4, 8],
        help="gunicorn workers: each number is a whole run on a fresh database",
    )
    load_parser.add_argument(
        "--booking-seconds", type=int, default=10, help="seconds of the run of bookings alone"
    )
    load_parser.add_argument("--server-threads", type=int, default=1, help="threads per worker")
    load_parser.add_argument("--label", default="", help="a word for the results file's name")
    hotpath_parser = commands.add_parser(
        "hotpath", help="the load mix's requests in-process: ms and statements per kind"
    )
    hotpath_parser.add_argument("--database", default=hotpath.default_database())
    hotpath_parser.add_argument("--requests", type=int, default=300, help="timed, per kind")
    hotpath_parser.add_argument("--warmup", type=int, default=20, help="untimed, per kind")
    hotpath_parser.add_argument(
        "--from-line", type=int, default=9000, help="first booking/check-in line to send"
    )
    hotpath_parser.add_argument(
        "--prepare",
        type=int,
        default=0,
        metavar="WORKERS",
        help=f"first seed a city of WORKERS workers into --database (emptied; e.g. "
        f"{hotpath.OWN_DATABASE}) and replay its requests",
    )
    hotpath_parser.add_argument("--shifts", type=int, default=5_000, help="with --prepare")
    scale_parser = commands.add_parser(
        "scale", help="issue #19: one market per database and size, every measure on it"
    )
    scale_parser.add_argument(
        "--backend", choices=("sqlite", "postgres"), nargs="+", default=["sqlite", "postgres"]
    )
    scale_parser.add_argument("--workers", type=int, nargs="+", default=[100_000, 1_000_000])
    scale_parser.add_argument("--shifts", type=int, default=200_000)
    scale_parser.add_argument("--months", type=int, default=12)
    scale_parser.add_argument("--repeat", type=int, default=200, help="steady candidates")
    scale_parser.add_argument("--window", type=float, default=60.0, help="seconds after a change")
    scale_parser.add_argument(
        "--update-every", type=int, default=14, help="the bulk update changes every n-th worker"
    )
    scale_parser.add_argument("--postgres-url", default=scale.DEFAULT_POSTGRES)
    scale_parser.add_argument("--no-evaluation", action="store_true")
    scale_parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the market an earlier run seeded (keeps its seed figures)",
    )
    scale_parser.add_argument(
        "--no-tracemalloc",
        action="store_true",
        help="skip the traced build of the index (the same arrays on either database; slow at 1M)",
    )
    scale_parser.add_argument(
        "--table", action="store_true", help="print the README's table of scale.json and stop"
    )
    arguments = parser.parse_args()

    if arguments.benchmark == "scale":
        if arguments.table:
            print(scale.table())
            return
        for backend in arguments.backend:
            for workers in arguments.workers:
                result = scale.run(
                    backend,
                    workers,
                    arguments.shifts,
                    arguments.months,
                    arguments.repeat,
                    arguments.window,
                    arguments.update_every,
                    arguments.postgres_url,
                    evaluate=not arguments.no_evaluation,
                    trace_index=not arguments.no_tracemalloc,
                    reuse=arguments.reuse,
                )
                print(json.dumps(result, ensure_ascii=False))
        return

    if arguments.benchmark == "hotpath":
        try:
            hotpath.run(
                arguments.database,
                arguments.requests,
                arguments.warmup,
                arguments.from_line,
                arguments.prepare,
                arguments.shifts,
            )
        except load.LoadError as error:
            sys.exit(f"hotpath: {error}")
    elif arguments.benchmark == "load":
        try:
            results = [
                load.run(
                    arguments.database,
                    arguments.workers,
                    arguments.shifts,
                    arguments.duration,
                    arguments.rounds,
                    arguments.connections or 2 * server_workers,
                    arguments.wrk_threads,
                    server_workers,
                    arguments.server_threads,
                    "-".join(filter(None, (arguments.label, f"w{server_workers}"))),
                    arguments.booking_seconds,
                )
                for server_workers in arguments.server_workers
            ]
        except load.LoadError as error:
            sys.exit(f"load: {error}")
        print(load.by_workers(results))
    elif arguments.benchmark == "search":
        for backend in arguments.backend:
            for workers in arguments.workers:
                result = search.run(backend, workers, arguments.shifts, repeat=arguments.repeat)
                print(json.dumps(result, ensure_ascii=False))
    elif arguments.benchmark == "evaluation":
        for backend in arguments.backend:
            for workers in arguments.workers:
                run = evaluation.run_simulation if arguments.simulate else evaluation.run
                result = run(backend, workers, arguments.months)
                print(json.dumps(result, ensure_ascii=False))
    elif arguments.benchmark == "matching":
        for backend in arguments.backend:
            for workers in [] if arguments.only_assignment else arguments.workers:
                result = matching.run_candidates(
                    backend, workers, arguments.shifts, arguments.repeat, arguments.naive_repeat
                )
                print(json.dumps(result, ensure_ascii=False))
            result = matching.run_assignment(
                backend, arguments.assignment_workers, arguments.shifts, arguments.assignment_shifts
            )
            print(json.dumps(result, ensure_ascii=False))
            result = matching.run_week_assignment(
                backend, arguments.assignment_workers, arguments.shifts, arguments.week_places
            )
            print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
