"""A throwaway redis-server on a free port, which a test may stop and start again, and a real
Celery worker consuming from it.

Never touches the shared Redis on 6379: outage tests need a broker of their own to kill.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from kombu import pools as kombu_pools

from config.celery import app

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.2):
            return True
    except OSError:
        return False


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _reachable(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None
        assert not _reachable(self.port)


def _drop_broker_connections() -> None:
    """Close and forget every pooled broker connection (kombu keeps a process-wide registry
    keyed by connection), so the next publish dials the broker URL now configured."""
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def celery_on(server: RedisServer) -> Iterator[None]:
    """Point the Celery app's broker at `server` and run tasks for real (not inline)."""
    previous_url, previous_eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = server.url
    app.conf.task_always_eager = False
    _drop_broker_connections()
    try:
        yield
    finally:
        app.conf.broker_url = previous_url
        app.conf.task_always_eager = previous_eager
        _drop_broker_connections()


def wait_until(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def worker():
    return start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    )
