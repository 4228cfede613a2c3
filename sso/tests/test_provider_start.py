"""The test providers' start-up: a silent provider is replaced once, a failing one is not."""

from __future__ import annotations

import pytest

from tests.sso.servers import DidNotAnswer, started_on_a_free_port


class Provider:
    def __init__(self, port: int, silent_starts: list[int]) -> None:
        self.port = port
        self.silent_starts = silent_starts
        self.stopped = False

    def start(self) -> None:
        if self.silent_starts:
            self.silent_starts.pop()
            raise DidNotAnswer(f"port {self.port} stayed silent")

    def stop(self) -> None:
        self.stopped = True


def _start(silent: int, made: list[Provider]) -> Provider:
    silent_starts = list(range(silent))

    def new(port: int) -> Provider:
        made.append(Provider(port, silent_starts))
        return made[-1]

    return started_on_a_free_port(new, Provider.start)


def test_a_provider_that_stays_silent_is_stopped_and_a_fresh_one_started():
    made: list[Provider] = []
    with pytest.warns(UserWarning, match="started a provider again: port .* stayed silent"):
        provider = _start(silent=1, made=made)
    assert provider is made[1]
    assert made[0].stopped and not made[1].stopped


def test_a_provider_silent_twice_fails_the_test_and_leaves_nothing_running():
    made: list[Provider] = []
    with pytest.raises(DidNotAnswer), pytest.warns(UserWarning):
        _start(silent=2, made=made)
    assert [provider.stopped for provider in made] == [True, True]


def test_a_provider_that_fails_otherwise_is_not_retried():
    def new(port: int) -> Provider:
        raise RuntimeError("the provider exited")

    with pytest.raises(RuntimeError, match="exited"):
        started_on_a_free_port(new, Provider.start)
