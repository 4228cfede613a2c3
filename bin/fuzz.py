"""Fuzz the API with Schemathesis, as a learner and as a director (`make fuzz`; CI's stage).

The run never touches your data: it makes a throwaway database beside DATABASE_URL's (a
PostgreSQL database named `<yours>_schemathesis`, dropped afterwards; a temporary SQLite file
without one), migrates it, loads the frameworks and the demo world, and gives each role a
token of its own. It then starts the app as production does (`bin/serve`: gunicorn, DEBUG off)
on a free loopback port, with tasks inline so no message is left in a shared broker, and runs
`schemathesis run` for both roles side by side against the served schema. The checks: no 5xx,
every response matches its documented schema, and no status the schema does not list. Any
failure, any operation left untested, or a role over its time limit fails the run.

    make fuzz                                 # both roles, 10 examples per operation
    make fuzz ARGS="--role learner --seed 7"  # one role; the seed a failed run printed

Reports (per role: the JSON report, the output, the generated schemathesis.toml; and the
server's log) go to test-artifacts/schemathesis/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "test-artifacts" / "schemathesis"
# Demo accounts with the richest data of each role (demo/): a resident and the IM director.
ROLES = {
    "learner": "ana.rivera@demo.continuum.test",
    "director": "margaret.okafor@demo.continuum.test",
}
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
# The stateful phase chains operations and would take far longer than CI's budget allows.
PHASES = "examples,coverage,fuzzing"
# The app runs with SECURE_SSL_REDIRECT as in production; this is the header its proxy sets.
PROXY_HEADER = ("X-Forwarded-Proto", "https")
POSTGRES_SCHEMES = ("postgres", "postgresql")
PARAMETER = re.compile(r"\{(\w+)\}")
# Enough real identifiers per parameter to vary them; the fuzzer adds made-up ones.
MAX_IDENTIFIERS = 10


@dataclass(frozen=True)
class RoleResult:
    role: str
    seconds: float
    operations: int
    tested: int
    answered_2xx: int
    test_cases: int
    failures: int
    errors: int
    timed_out: bool

    @property
    def passed(self) -> bool:
        return (
            not self.timed_out
            and self.failures == 0
            and self.errors == 0
            and self.operations > 0
            and self.tested == self.operations
        )

    def line(self) -> str:
        return (
            f"{self.role}: {self.tested}/{self.operations} operations tested "
            f"({self.answered_2xx} answered 2xx at least once), {self.test_cases} requests, "
            f"{self.failures} failures, {self.errors} errors, {self.seconds:.0f}s"
            + (" — TIMED OUT" if self.timed_out else "")
        )


def main() -> int:
    args = _arguments()
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    REPORTS.mkdir(parents=True, exist_ok=True)
    print(f"fuzz: seed {seed} (repeat with: make fuzz ARGS='--seed {seed}')", flush=True)
    began = time.monotonic()
    with (
        throwaway_database(os.environ.get("DATABASE_URL")) as database_url,
        tempfile.TemporaryDirectory(prefix="continuum-fuzz-") as tmp,
    ):
        env = _server_environment(database_url, Path(tmp))
        _manage(env, "migrate", "--noinput", "--verbosity", "0")
        _manage(env, "seed_demo", "--verbosity", "0")  # loads the frameworks first
        tokens = {
            role: _manage(env, "create_api_token", email, "--name", "schemathesis").strip()
            for role, email in ROLES.items()
            if role in args.role
        }
        print(f"fuzz: throwaway database ready in {time.monotonic() - began:.0f}s", flush=True)
        with serving(env) as base_url:
            # The roles run side by side: on two cores one waits on the server while the
            # other generates, and their data never overlap enough to matter.
            runs = [
                _start(
                    role=role,
                    token=token,
                    base_url=base_url,
                    seed=seed,
                    max_examples=args.max_examples,
                    workers=args.workers,
                )
                for role, token in tokens.items()
            ]
            results = [_finish(run, args.time_limit) for run in runs]
    print("\n== schemathesis summary")
    for result in results:
        print(("PASS " if result.passed else "FAIL ") + result.line())
    print(f"fuzz: finished in {time.monotonic() - began:.0f}s; reports in {REPORTS}")
    return 0 if all(result.passed for result in results) else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=sorted(ROLES), action="append")
    parser.add_argument("--seed", type=int, help="Hypothesis seed (default: a random one)")
    parser.add_argument("--max-examples", type=int, default=10, help="per operation")
    # More than one worker shares Hypothesis between threads, which its Python 3.11 build does
    # not always survive (a SystemError from `ast`); the server is the bottleneck anyway.
    parser.add_argument("--workers", type=int, default=1, help="concurrent requests")
    parser.add_argument(
        "--time-limit", type=int, default=300, help="seconds a role may take before it fails"
    )
    args = parser.parse_args()
    args.role = args.role or list(ROLES)
    return args


@contextmanager
def throwaway_database(url: str | None) -> Iterator[str]:
    """A fresh database on DATABASE_URL's PostgreSQL server (dropped after), else SQLite."""
    parsed = urlparse(url or "")
    if parsed.scheme not in POSTGRES_SCHEMES:
        with tempfile.TemporaryDirectory(prefix="continuum-fuzz-db-") as tmp:
            yield f"sqlite:///{tmp}/fuzz.sqlite3"
        return
    name = parsed.path.lstrip("/") + "_schemathesis"
    server = urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(drop)  # left over from a run that was killed
        connection.execute(create)
    try:
        yield urlunparse(parsed._replace(path="/" + name))
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(drop)


def _server_environment(database_url: str, tmp: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Without a broker, tasks run inline: a generated export or import runs to its end
        # inside the request (and is fuzzed too), and no message is queued for a real worker.
        if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_URL="consolemail://",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        PYTHON=sys.executable,
        BIND=f"127.0.0.1:{_free_port()}",
        WEB_CONCURRENCY="4",  # two roles, each a request at a time, and room for slow ones
        # gunicorn's control socket defaults to one path in $HOME, shared by every instance.
        GUNICORN_CMD_ARGS="--no-control-socket",
    )
    return env


def _manage(env: dict[str, str], *command: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """bin/serve in its own process group, answering /healthz; stopped afterwards."""
    base_url = f"http://{env['BIND']}"
    log_path = REPORTS / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "serve")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_healthy(base_url, process)
            yield base_url
        finally:
            _stop(process)
    # With DEBUG off, a 500's traceback is only in the server's log: show it.
    tracebacks = [line for line in log_path.read_text().splitlines() if "Traceback" in line]
    if tracebacks:
        print(f"fuzz: the server logged {len(tracebacks)} tracebacks; see {log_path}")


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    request = urllib.request.Request(f"{base_url}/healthz", headers=dict([PROXY_HEADER]))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"fuzz: bin/serve exited with {process.returncode}; see server.log")
        try:
            with urllib.request.urlopen(request, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise SystemExit("fuzz: the server did not answer /healthz within 120s; see server.log")


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _config(path: Path, identifiers: dict[tuple[str, str], list[Any]]) -> None:
    """schemathesis.toml for one role: the coverage phase's limits and the role's identifiers.

    Each path parameter draws from identifiers the role can really see most of the time, so
    requests reach past the lookup; the rest are generated, so unknown ones are tried too.
    """
    lines = [
        "[phases.coverage]",
        # Methods the schema does not list answer 405, which no selected check looks at.
        "unexpected-methods = []",
        "generate-duplicate-query-parameters = false",
        # Boundary values that fit the schema; the fuzzing phase sends the invalid ones.
        "[phases.coverage.generation]",
        'mode = "positive"',
    ]
    by_path: dict[str, list[tuple[str, str]]] = {}
    for number, ((template, name), values) in enumerate(sorted(identifiers.items())):
        dictionary = f"ids{number}"
        lines += ["", f"[dictionaries.{dictionary}]", f"values = {json.dumps(values)}"]
        by_path.setdefault(template, []).append((name, dictionary))
    for template, bindings in by_path.items():
        parameters = ", ".join(
            f'"path.{name}" = {{ dictionary = "{dictionary}", probability = 0.8 }}'
            for name, dictionary in bindings
        )
        lines += ["", "[[operations]]", f"include-path = {json.dumps(template)}"]
        lines.append(f"parameters = {{ {parameters} }}")
    path.write_text("\n".join(lines) + "\n")


# Paths whose real identifiers the run never uses: its own API token is among them.
OWN_CREDENTIALS = ("/api/v1/account/tokens/",)


def _identifiers(base_url: str, token: str) -> dict[tuple[str, str], list[Any]]:
    """Real values for every path parameter the role can read, found through the API itself.

    GET operations are read in order of how many parameters they take, each with the values
    found so far; a parameter takes its values from the list one level up its path (the `id`
    of `/goals/` for `/goals/{id}/`), else (unless it is a bare `id`) from any field of that
    name, or `learner.id` for `learner_id`, seen in an earlier answer.
    """
    schema = _get_json(f"{base_url}/api/schema/?format=json", token)
    templates = sorted(schema["paths"], key=lambda template: template.count("{"))
    lists: dict[str, list[dict[str, Any]]] = {}
    seen: dict[str, list[Any]] = {}
    found: dict[tuple[str, str], list[Any]] = {}
    for template in templates:
        if template.startswith(OWN_CREDENTIALS):
            continue  # a real id here would let the run revoke the token it signs in with
        for name in PARAMETER.findall(template):
            values = _values_for(template, name, lists, seen)
            if values:
                found[(template, name)] = values
        if "get" not in schema["paths"][template]:
            continue
        url = _filled(template, found)
        if url is None:
            continue  # a parameter without a value: nothing to read
        items = _items(_get_json(base_url + url, token))
        lists[template] = items
        _remember(items, seen)
    return found


def _filled(template: str, found: dict[tuple[str, str], list[Any]]) -> str | None:
    """`template` with each parameter's first value, or None if one has none."""
    names = PARAMETER.findall(template)
    if any(not found.get((template, name)) for name in names):
        return None
    return PARAMETER.sub(lambda match: str(found[(template, match[1])][0]), template)


def _values_for(
    template: str,
    name: str,
    lists: dict[str, list[dict[str, Any]]],
    seen: dict[str, list[Any]],
) -> list[Any]:
    parent = template[: template.index("{" + name + "}")]
    items = lists.get(parent, [])
    field = name if items and name in items[0] else "id"
    values = [item[field] for item in items if isinstance(item.get(field), int | str)]
    if not values and name != "id":  # a bare `id` elsewhere names some other kind of thing
        values = seen.get(name, []) or seen.get(name.removesuffix("_id") + ".id", [])
    return list(dict.fromkeys(values))[:MAX_IDENTIFIERS]


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        body = body["results"]
    if isinstance(body, dict):
        body = [body]
    return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []


def _remember(items: list[dict[str, Any]], seen: dict[str, list[Any]], prefix: str = "") -> None:
    for item in items:
        for key, value in item.items():
            if isinstance(value, dict):
                _remember([value], seen, f"{key}.")
            elif isinstance(value, list):
                _remember([v for v in value if isinstance(v, dict)], seen)
            elif isinstance(value, int | str) and not isinstance(value, bool):
                seen.setdefault(prefix + key, []).append(value)


def _get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Token {token}", PROXY_HEADER[0]: PROXY_HEADER[1]}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except (urllib.error.HTTPError, ValueError):
        return None  # not this role's to read, or not JSON: no identifiers from it


@dataclass(frozen=True)
class Run:
    role: str
    process: subprocess.Popen[bytes]
    began: float
    report: Path
    log: Path


def _start(
    *, role: str, token: str, base_url: str, seed: int, max_examples: int, workers: int
) -> Run:
    """`schemathesis run` for one role, in the background, its output in `<role>.log`."""
    report = REPORTS / f"{role}.json"
    report.unlink(missing_ok=True)
    config = REPORTS / f"{role}.toml"
    identifiers = _identifiers(base_url, token)
    _config(config, identifiers)
    command = [
        shutil.which("schemathesis", path=Path(sys.executable).parent) or "schemathesis",
        "--config-file",
        str(config),
        "run",
        f"{base_url}/api/schema/",
        "--header",
        f"Authorization: Token {token}",
        "--header",
        ": ".join(PROXY_HEADER),
        "--checks",
        CHECKS,
        "--phases",
        PHASES,
        "--max-examples",
        str(max_examples),
        "--workers",
        str(workers),
        "--seed",
        str(seed),
        # The token above is the only credential; no generated Authorization or cookie.
        "--generation-with-security-parameters",
        "false",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    print(
        f"fuzz: schemathesis as the {role} ({ROLES[role]}), with real identifiers for "
        f"{len(identifiers)} path parameters",
        flush=True,
    )
    log = REPORTS / f"{role}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=REPORTS, stdout=output, stderr=subprocess.STDOUT)
    return Run(role=role, process=process, began=time.monotonic(), report=report, log=log)


def _finish(run: Run, time_limit: int) -> RoleResult:
    """Wait for `run` until `time_limit` seconds after its start; print its output."""
    timed_out = False
    try:
        run.process.wait(timeout=max(1.0, run.began + time_limit - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        run.process.kill()
        run.process.wait()
    seconds = time.monotonic() - run.began
    print(f"\n== schemathesis as the {run.role} ({ROLES[run.role]})")
    print(run.log.read_text(errors="replace"), flush=True)
    # Schemathesis writes the report when it finishes; a run stopped at its limit leaves none.
    text = run.report.read_text() if run.report.exists() else ""
    data: dict[str, Any] = json.loads(text) if text.strip() else {}
    return _result(role=run.role, data=data, seconds=seconds, timed_out=timed_out)


def _result(*, role: str, data: dict[str, Any], seconds: float, timed_out: bool) -> RoleResult:
    operations = data.get("operations", {})
    cases = data.get("test_cases", {})
    answered = sum(
        1
        for phases in data.get("valid_rates", {}).values()
        if any(counts.get("accepted", 0) for counts in phases.values())
    )
    return RoleResult(
        role=role,
        seconds=seconds,
        operations=operations.get("total", 0),
        tested=operations.get("tested", 0),
        answered_2xx=answered,
        test_cases=cases.get("generated", 0),
        failures=cases.get("with_failures", 0),
        errors=len(data.get("errors", [])) + cases.get("errored", 0),
        timed_out=timed_out,
    )


if __name__ == "__main__":
    sys.exit(main())
