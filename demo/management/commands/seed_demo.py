"""`python manage.py seed_demo`: the Northbridge University demo world.

Every demo account's password is `continuum-demo` (demo.world.DEMO_PASSWORD).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import world
from demo.seed import seed_demo


class Command(BaseCommand):
    help = (
        "Create the Northbridge University demo: a medical school and an internal medicine "
        "residency with learners, staff and about three years of ratings. Safe to run twice. "
        f"Every demo account uses the password '{world.DEMO_PASSWORD}'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--learners",
            type=int,
            default=world.DEFAULT_LEARNERS,
            help=f"How many learners (2–{world.MAX_LEARNERS}, default {world.DEFAULT_LEARNERS}).",
        )

    def handle(self, *args: Any, learners: int, **options: Any) -> None:
        if not 2 <= learners <= world.MAX_LEARNERS:
            raise CommandError(f"--learners must be between 2 and {world.MAX_LEARNERS}.")
        if world.missing_frameworks():
            self.stdout.write("Frameworks missing; running load_frameworks first.")
            try:
                call_command("load_frameworks", stdout=self.stdout, stderr=self.stderr)
            except CommandError as exc:
                self.stderr.write(f"load_frameworks failed: {exc}")
        missing = world.missing_frameworks()
        if missing:
            raise CommandError(
                f"The demo needs these frameworks, which are not loaded: {', '.join(missing)}. "
                "Load them with `python manage.py load_frameworks` and run seed_demo again."
            )

        result = seed_demo(learners=learners)
        if result.created:
            summary = ", ".join(f"{n} {what}" for what, n in result.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Seeded {world.INSTITUTION_NAME}: {summary}."))
        else:
            self.stdout.write(f"{world.INSTITUTION_NAME} is already seeded; nothing created.")

        self.stdout.write(f"\nDemo logins (password for every account: {world.DEMO_PASSWORD}):")
        for login in result.logins:
            self.stdout.write(f"  {login.role:<17} {login.email:<40} {login.detail}")
        if settings.ENFORCE_STAFF_MFA:
            self.stdout.write(
                "Directors, coordinators and the admin are asked to set up an authenticator "
                "app at first sign-in (ENFORCE_STAFF_MFA is on)."
            )
