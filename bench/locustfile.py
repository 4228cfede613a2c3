"""The load test's simulated people, for locust (`make load`, bench/load.py).

Each simulated person signs every request with an API token of a real generated user, read
from the file `LOAD_PEOPLE` names (written by bench/load.py): learners read their dashboard
and post check-ins, coaches read their coachee overview, directors read their program's
heatmap and the institution overview. `MeOnly` is the floor: the cheapest authenticated
request, `/api/v1/me/`, alone.

Request names group URLs by endpoint, so the table has one row per endpoint whatever the ids.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from typing import Any

from locust import HttpUser, between, task

with open(os.environ["LOAD_PEOPLE"], encoding="utf-8") as people_file:
    PEOPLE: dict[str, Any] = json.load(people_file)

# Each simulated person takes the next token of its role, round robin: many users, few tokens
# each, as on a real ward (and well under the per-user API throttle).
_next = {role: itertools.cycle(PEOPLE[role]) for role in ("learners", "coaches", "directors")}


class _Person(HttpUser):
    abstract = True
    wait_time = between(0.0, 0.02)  # nearly back to back: the server, not the clients, limits
    role = "learners"

    def on_start(self) -> None:
        self.person = next(_next[self.role])
        self.client.headers["Authorization"] = f"Token {self.person['token']}"


class MeOnly(_Person):
    """The floor: `/api/v1/me/` and nothing else."""

    @task
    def me(self) -> None:
        self.client.get("/api/v1/me/", name="/api/v1/me/")


class Learner(_Person):
    weight = 6

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/api/v1/me/dashboard/", name="learner: dashboard")

    @task(1)
    def check_in(self) -> None:
        items = [{"competency": pk, "level": "3"} for pk in self.person["competencies"]]
        self.client.post(
            "/api/v1/check-ins/",
            json={"client_token": str(uuid.uuid4()), "items": items},
            name="learner: check-in POST",
        )


class Coach(_Person):
    weight = 2
    role = "coaches"

    @task
    def overview(self) -> None:
        self.client.get("/api/v1/coaching/overview/", name="coach: coachee overview")


class Director(_Person):
    weight = 2
    role = "directors"

    @task(2)
    def heatmap(self) -> None:
        url = f"/api/v1/programs/{self.person['program']}/heatmap/?period={self.person['period']}"
        self.client.get(url, name="director: heatmap")

    @task(1)
    def overview(self) -> None:
        self.client.get("/api/v1/institution/overview/", name="director: institution overview")
