"""Serve plotly.js from the installed `plotly` package as `vendor/plotly.min.js`.

The file ships inside the Python package, so the JavaScript always matches the version in
pyproject.toml and no 4 MB copy is committed. collectstatic and WhiteNoise both use finders.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder, searched_locations
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

FILE = "plotly.min.js"
PREFIX = "vendor"


def _package_data() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


# plotly.js adds styles to the page as it loads: its own rules through the CSS object model
# into an empty <style> it creates, and (in the full bundle) a bundled library's stylesheet as
# the text of another <style>.
_STYLE_TEXT = re.compile(
    r"""createElement\("style"\);[^;]{0,300}?\.textContent='((?:[^'\\]|\\.)*)'"""
)
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


@functools.cache
def plotly_style_hashes() -> tuple[str, ...]:
    """CSP sources for the <style> elements plotly.js creates: the empty one and each one
    whose text is a string literal in the bundle, read from the installed file."""
    source = (_package_data() / FILE).read_text(encoding="utf-8")
    texts = [""]
    for match in _STYLE_TEXT.finditer(source):
        texts.append(re.sub(r"\\(.)", lambda m: _JS_ESCAPES.get(m[1], m[1]), match[1]))
    return tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(t.encode()).digest()).decode()}'"
        for t in dict.fromkeys(texts)
    )


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.root = _package_data()
        self.storage = FileSystemStorage(location=str(self.root))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if not (self.root / FILE).is_file():
            return [Error(f"plotly.js is missing from {self.root}", id="core.E001")]
        return []

    # django-stubs types a miss as None, but `finders.find` wraps whatever is not a list, so
    # a None becomes `[None]`: a truthy "match" that WhiteNoise and `serve` then try to open.
    # Django's own finders answer a miss with [] whether or not find_all is set.
    def find(  # type: ignore[override]
        self, path: str, find_all: bool = False, **kwargs: Any
    ) -> str | list[str]:
        if kwargs:  # RemovedInDjango61Warning: `all=` still works, with a warning
            find_all = self._check_deprecated_find_param(find_all=find_all, **kwargs)  # type: ignore[attr-defined]
        if str(self.root) not in searched_locations:
            searched_locations.append(str(self.root))
        if path != f"{PREFIX}/{FILE}" or not (self.root / FILE).is_file():
            return []
        found = str(self.root / FILE)
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield FILE, self.storage
