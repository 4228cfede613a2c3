"""The peak memory of a check run in a fresh Python process.

A fresh process, so the peak is the check's own and not the test run's; it uses the test
database (migrated and empty to it: the test's rows are in an uncommitted transaction). The
peak is the process's VmHWM: `getrusage`'s ru_maxrss carries over across exec the peak of the
process that started it, so a large test run would be measured instead of the check.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

from django.db import connection

BUDGET_MB = 300

_PRELUDE = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
import django
from django.conf import settings
django.setup()
settings.DATABASES["default"]["NAME"] = {name!r}
"""

_REPORT = """
with open("/proc/self/status") as status:
    hwm = next(line for line in status if line.startswith("VmHWM:"))
print("peak", int(hwm.split()[1]) // 1024)
"""


def peak_mb(check: str) -> tuple[int, str]:
    """Run `check` (Python source; it may print) after Django is set up; return the process's
    peak resident memory in MB and what it printed before."""
    script = (
        _PRELUDE.format(name=connection.settings_dict["NAME"]) + textwrap.dedent(check) + _REPORT
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *printed, last = done.stdout.strip().splitlines()
    return int(last.split()[1]), "\n".join(printed)


def write_repeated(path: Any, head: bytes, unit: bytes, size: int, tail: bytes = b"") -> None:
    """Write head, then `unit` repeated to about `size` bytes, then tail, in chunks (so the
    test process itself stays small)."""
    chunk = unit * max(1, 1024 * 1024 // len(unit))
    with open(path, "wb") as out:
        out.write(head)
        for _ in range(size // len(chunk)):
            out.write(chunk)
        out.write(tail)
