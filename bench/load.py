"""The load test: `python -m bench.load [--scale tiny|small|full|10x] [--users N] [--duration T]`.

1. Uses the benchmark's database and data (bench/runner.py: generated at the scale unless data
   of that scale is there already).
2. Gives generated people API tokens — learners of the big program, coaches (faculty who coach
   ten of them each, assigned and accepted through the coaching services), the directors — and
   writes them, with the ids the requests need, to a file for the locustfile; then analyses
   every table (`bench.runner.refresh_statistics`), as autovacuum would.
3. Starts a production-like server on loopback: gunicorn with DEBUG off (bench.settings),
   `--workers` processes, tasks inline, no Redis. With `--target URL` it starts none and
   loads the server already there (bin/scale-demo's nginx, on the same database).
4. Runs locust headless twice with the same users and duration: `/api/v1/me/` alone (the
   floor), then the mixed workload (bench/locustfile.py; `--people` narrows it to some of its
   roles, to see what each costs under load). Prints, per endpoint, requests per
   second, p50/p95/p99 and errors, and the mixed workload against the floor: its p95 ÷ the
   floor's p95 (target ≤ 1.2) and its throughput ÷ the floor's (target ≥ 0.75).

Exit status 1 when any request failed; the targets are reported, not enforced (they depend on
the machine, and CI runs this only briefly at tiny scale to keep it working).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.runner import SCALE_ALIASES, SCALE_CHOICES, bench_database_url, refresh_statistics

TOKEN_NAME = "load test"
LEARNERS = 60
COACHES = 5
COACHEES_EACH = 10
CHECKIN_ITEMS = 5
P95_TARGET = 1.2
THROUGHPUT_TARGET = 0.75
# The mixed workload's simulated people (bench/locustfile.py), by the role `--people` names.
PEOPLE_CLASSES = {"learners": "Learner", "coaches": "Coach", "directors": "Director"}


@dataclass
class Result:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_data(scale: str) -> None:
    """The benchmark's generation phase, reusing data of the same scale."""
    command = [sys.executable, "-m", "bench", "--scale", scale, "--reuse", "--phase", "generate"]
    subprocess.run(command, check=True)  # noqa: S603


def _people(scale: str) -> dict[str, object]:
    """Tokens and ids for the simulated people (their old load-test tokens are removed first,
    so runs do not pile tokens up)."""
    from accounts.models import ApiToken, User
    from accounts.services import api_token_create
    from bench.runner import _state
    from coaching.models import CoachingRelationship
    from coaching.services import relationship_accept, relationship_assign
    from frameworks.models import Competency
    from programs.models import Enrollment, Program, ProgramRole, ReviewPeriod

    state = _state()
    if state is None or state["scale"] != scale:
        raise SystemExit(f"No benchmark data at scale {scale!r}.")
    world = json.loads(state["world"])
    ApiToken.objects.filter(name=TOKEN_NAME).delete()

    program = Program.objects.get(pk=world["big_program_id"])
    director = User.objects.get(email=world["big_director_email"])
    current = Enrollment.objects.current().filter(program=program)
    # Not the learner whose dashboard `make bench` times: their check-ins here would grow the
    # raw query behind that row's limit from run to run (seen: 555 items after two runs,
    # its ratio falling from 1.09 to 0.97 with the page's own time unchanged).
    learners = list(
        User.objects.filter(enrollments__in=current)
        .exclude(email=world["learner_email"])
        .order_by("pk")
        .distinct()[:LEARNERS]
    )
    faculty = list(
        User.objects.filter(program_roles__program=program, program_roles__role="faculty")
        .order_by("pk")
        .distinct()[:COACHES]
    )
    for n, coach in enumerate(faculty):
        for learner in learners[n * COACHEES_EACH : (n + 1) * COACHEES_EACH]:
            if CoachingRelationship.objects.filter(learner=learner, coach=coach).exists():
                continue
            relationship = relationship_assign(
                assigned_by=director, program=program, learner=learner, coach=coach
            )
            relationship_accept(relationship=relationship, by=learner)

    competencies = list(
        Competency.objects.filter(children__isnull=True, framework__programs=program)
        .order_by("pk")
        .values_list("pk", flat=True)[:CHECKIN_ITEMS]
    )

    def token_of(user: User) -> str:
        return api_token_create(user=user, name=TOKEN_NAME)[1]

    directors = []
    for role in ProgramRole.objects.filter(role=ProgramRole.Role.DIRECTOR).select_related("user"):
        period = (
            ReviewPeriod.objects.filter(program_id=role.program_id, start_date__lte=state["today"])
            .order_by("-start_date")
            .first()
        )
        if period is not None:
            directors.append(
                {"token": token_of(role.user), "program": role.program_id, "period": period.pk}
            )

    return {
        "learners": [{"token": token_of(u), "competencies": competencies} for u in learners],
        "coaches": [{"token": token_of(u)} for u in faculty],
        "directors": directors,
    }


def _serve(url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "WEB_CONCURRENCY": str(workers),
    }
    env.pop("REDIS_URL", None)
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)  # noqa: S603
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {log}") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer /healthz; see {log}")


def _locust(
    host: str, people: Path, users: int, duration: str, classes: list[str], prefix: Path
) -> list[Result]:
    command = [
        sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")),
        "--headless", "--only-summary", "--users", str(users), "--spawn-rate", str(users),
        "--run-time", duration, "--host", host, "--csv", str(prefix),
        "--stop-timeout", "5", "--loglevel", "WARNING", *classes,
    ]  # fmt: skip
    with open(f"{prefix}.log", "wb") as log:  # locust's own summary, kept beside the CSV
        subprocess.run(  # noqa: S603
            command,
            env={**os.environ, "LOAD_PEOPLE": str(people)},
            check=False,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        return [
            Result(
                name="all (mixed)" if row["Name"] == "Aggregated" else row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=float(row["Requests/s"]),
                p50=float(row["50%"]),
                p95=float(row["95%"]),
                p99=float(row["99%"]),
            )
            for row in csv.DictReader(stats)
        ]


def _table(floor: Result, mixed: list[Result]) -> str:
    lines = [
        f"{'endpoint':<34} | {'req/s':>7} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | "
        f"{'requests':>8} | {'errors':>6}",
        "-" * 35 + "+" + "+".join("-" * width for width in (9, 9, 9, 9, 10, 8)),
    ]
    for r in [floor, *mixed]:
        label = "/api/v1/me/ alone (floor)" if r is floor else r.name
        lines.append(
            f"{label:<34} | {r.rps:>7.1f} | {r.p50:>7.0f} | {r.p95:>7.0f} | {r.p99:>7.0f} | "
            f"{r.requests:>8} | {r.failures:>6}"
        )
    return "\n".join(lines)


def _people_classes(parser: argparse.ArgumentParser, people: str) -> list[str]:
    roles = [role.strip() for role in people.split(",") if role.strip()]
    unknown = sorted(set(roles) - set(PEOPLE_CLASSES))
    if unknown or not roles:
        parser.error(
            f"--people: unknown role {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(PEOPLE_CLASSES)}"
        )
    return [PEOPLE_CLASSES[role] for role in dict.fromkeys(roles)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scale", choices=SCALE_CHOICES, default="full")
    parser.add_argument("--users", type=int, default=60, help="simulated people at once")
    parser.add_argument("--duration", default="60s", help="each run's length (locust syntax)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--target",
        help="load a server already running at this URL (e.g. bin/scale-demo's proxy) on the "
        "benchmark's database instead of starting gunicorn",
    )
    parser.add_argument(
        "--people",
        default=",".join(PEOPLE_CLASSES),
        help="the mixed workload's roles, comma-separated (default: all of "
        + ", ".join(PEOPLE_CLASSES)
        + ")",
    )
    args = parser.parse_args(argv)
    classes = _people_classes(parser, args.people)

    url = bench_database_url()
    args.scale = SCALE_ALIASES.get(args.scale, args.scale)
    _ensure_data(args.scale)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connections

    work = Path(tempfile.mkdtemp(prefix="continuum-load-"))
    people_file = work / "people.json"
    people_file.write_text(json.dumps(_people(args.scale)), encoding="utf-8")
    # After the people's tokens and coaching rows are written, before any timing.
    print(f"== statistics refreshed (ANALYZE) in {refresh_statistics():.1f}s")
    connections.close_all()

    server = None
    if args.target:
        host = args.target.rstrip("/")
        print(f"== load: {args.users} users for {args.duration} each, against {host}")
    else:
        port = _free_port()
        host = f"http://127.0.0.1:{port}"
        server = _serve(url, port, args.workers, work / "gunicorn.log")
        print(f"== load: {args.users} users for {args.duration} each, {args.workers} workers")
    try:
        floor = _locust(host, people_file, args.users, args.duration, ["MeOnly"], work / "me")
        floor_all = next(r for r in floor if r.name == "all (mixed)")
        mixed = _locust(host, people_file, args.users, args.duration, classes, work / "mixed")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    print(_table(floor_all, mixed))
    total = next(r for r in mixed if r.name == "all (mixed)")
    p95_ratio = total.p95 / floor_all.p95 if floor_all.p95 else float("inf")
    rps_ratio = total.rps / floor_all.rps if floor_all.rps else 0.0
    print(
        f"mixed vs floor: p95 {p95_ratio:.2f}x (target <= {P95_TARGET}), "
        f"throughput {rps_ratio:.2f}x (target >= {THROUGHPUT_TARGET})"
    )
    errors = total.failures + floor_all.failures
    print(f"errors: {errors}; files in {work}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
