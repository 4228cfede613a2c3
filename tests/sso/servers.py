"""Start and stop a provider process on loopback, and find free ports."""

from __future__ import annotations

import socket
import subprocess
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DidNotAnswer(RuntimeError):
    """The provider's process is running but its URL did not answer in time."""


class Stoppable(Protocol):
    def stop(self) -> None: ...


Server = TypeVar("Server", bound=Stoppable)


def started_on_a_free_port(new: Callable[[int], Server], start: Callable[[Server], None]) -> Server:
    """Start a provider on a free port, and once more on another port if it stays silent.

    Why a second try: both providers start in under a second here, yet once in CI a Node
    process printed its start-up warning and then did not listen for 30 seconds. A silent
    process says nothing about Continuum, so a fresh one is started instead of failing
    the test; a provider that exits or errors still fails at once."""
    for attempt in (1, 2):
        server = new(free_port())
        try:
            start(server)
            return server
        except DidNotAnswer as silence:
            server.stop()
            if attempt == 2:
                raise
            # In the run's warnings summary, so the stall stays on record.
            warnings.warn(f"started a provider again: {silence}", stacklevel=2)
    raise AssertionError("unreachable")


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 45
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the provider exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise DidNotAnswer(f"{url} did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
