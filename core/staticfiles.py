"""plotly.js, vendored unmodified in `static/vendor/` (its README gives the package, version,
licence and checksum), and the styles it adds to a page, which the content security policy
must name.

The charts use only cartesian traces, so the vendored file is plotly.js's cartesian bundle —
a third of the full bundle — served like any other static file (compressed, far-future cached
under its hashed name in production). No CDN.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from pathlib import Path

from django.conf import settings

PLOTLY = "vendor/plotly-cartesian.min.js"


def plotly_path() -> Path:
    return Path(settings.BASE_DIR) / "static" / PLOTLY


# plotly.js adds styles to the page as it loads: its own rules through the CSS object model
# into an empty <style> it creates, and (in some bundles) a bundled library's stylesheet as
# the text of another <style>.
_STYLE_TEXT = re.compile(
    r"""createElement\("style"\);[^;]{0,300}?\.textContent='((?:[^'\\]|\\.)*)'"""
)
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


@functools.cache
def plotly_style_hashes() -> tuple[str, ...]:
    """CSP sources for the <style> elements plotly.js creates: the empty one and each one
    whose text is a string literal in the bundle, read from the vendored file."""
    source = plotly_path().read_text(encoding="utf-8")
    texts = [""]
    for match in _STYLE_TEXT.finditer(source):
        texts.append(re.sub(r"\\(.)", lambda m: _JS_ESCAPES.get(m[1], m[1]), match[1]))
    return tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(t.encode()).digest()).decode()}'"
        for t in dict.fromkeys(texts)
    )
