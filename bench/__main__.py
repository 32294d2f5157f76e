"""Run the benchmarks: ``python -m bench search|evaluation --backend sqlite --workers 10000``."""

from __future__ import annotations

import argparse
import json

from bench import evaluation, matching, search


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
    evaluation_parser = commands.add_parser("evaluation", help="subsidy evaluation of a city")
    evaluation_parser.add_argument(
        "--backend", choices=("sqlite", "postgres"), nargs="+", default=["sqlite", "postgres"]
    )
    evaluation_parser.add_argument("--workers", type=int, nargs="+", default=[10_000, 100_000])
    evaluation_parser.add_argument("--months", type=int, default=12)
    arguments = parser.parse_args()

    if arguments.benchmark == "search":
        for backend in arguments.backend:
            for workers in arguments.workers:
                result = search.run(backend, workers, arguments.shifts, repeat=arguments.repeat)
                print(json.dumps(result, ensure_ascii=False))
    elif arguments.benchmark == "evaluation":
        for backend in arguments.backend:
            for workers in arguments.workers:
                result = evaluation.run(backend, workers, arguments.months)
                print(json.dumps(result, ensure_ascii=False))
    elif arguments.benchmark == "matching":
        for backend in arguments.backend:
            for workers in arguments.workers:
                result = matching.run_candidates(
                    backend, workers, arguments.shifts, arguments.repeat, arguments.naive_repeat
                )
                print(json.dumps(result, ensure_ascii=False))
            result = matching.run_assignment(
                backend, arguments.assignment_workers, arguments.shifts, arguments.assignment_shifts
            )
            print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
