"""The Content-Security-Policy header, from django-csp with three additions.

- Every HTML page's policy carries a fresh nonce, whether or not its template used one, so a
  template may add `nonce="{{ request.csp_nonce }}"` to an inline element at any time and the
  header always says which nonce this response allows (django-csp adds it only when read).
- `CSP_PATH_UPDATES` (a setting: path prefix → directives to add) loosens the policy for
  pages we do not write, such as the Django admin, on their own URLs only.
- `draws_charts`, a view decorator: the <style> elements plotly.js creates are allowed by
  their hashes on the pages that load it, and nowhere else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec

from csp.constants import NONCE, SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from core.staticfiles import plotly_style_hashes

P = ParamSpec("P")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        report_only: bool = False,
    ) -> PolicyParts:
        if response.get("Content-Type", "").startswith("text/html"):
            str(request.csp_nonce)  # type: ignore[attr-defined]
        parts = super().get_policy_parts(request, response, report_only)
        extra = _path_updates(request.path_info)
        if extra and not report_only:
            parts.update = _merged(parts.update or {}, extra)
        return parts


def _path_updates(path: str) -> dict[str, list[str]]:
    updates: dict[str, dict[str, list[str]]] = getattr(settings, "CSP_PATH_UPDATES", {})
    merged: dict[str, list[str]] = {}
    for prefix, directives in updates.items():
        if path.startswith(prefix):
            merged = _merged(merged, directives)
    return merged


def _merged(first: dict[str, Any], second: dict[str, Any]) -> dict[str, list[str]]:
    out = {key: _listed(value) for key, value in first.items()}
    for key, value in second.items():
        out[key] = [*out.get(key, []), *_listed(value)]
    return out


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value)


def draws_charts(view: Callable[P, HttpResponseBase]) -> Callable[P, HttpResponseBase]:
    """Allow the styles plotly.js adds to the page (and no inline script: it needs none)."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        response = view(*args, **kwargs)
        update = getattr(response, "_csp_update", None) or {}
        response._csp_update = _merged(  # type: ignore[attr-defined]
            update, {"style-src-elem": [SELF, NONCE, *plotly_style_hashes()]}
        )
        return response

    return wrapped
