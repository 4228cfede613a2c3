from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from xapi.services.retention import statements_prune_unclaimed


class Command(BaseCommand):
    help = "Delete xAPI statements about no Continuum learner older than XAPI_UNCLAIMED_DAYS."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = statements_prune_unclaimed()
        days = settings.XAPI_UNCLAIMED_DAYS
        self.stdout.write(f"Deleted {deleted} rows of statements unclaimed after {days} days.\n")
