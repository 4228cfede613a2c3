"""The Content-Security-Policy header, from django-csp with two additions.

- Every HTML page's policy carries a fresh nonce, whether or not its template used one, so a
  template may add `nonce="{{ request.csp_nonce }}"` to an inline element at any time and the
  header always says which nonce this response allows (django-csp adds it only when read).
- `draws_charts`, a view decorator: the <style> elements plotly.js creates are allowed by
  their hashes on the pages that load it, and nowhere else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec

from csp.constants import NONCE, SELF
from csp.middleware import CSPMiddleware, PolicyParts
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
        nonce = getattr(request, "csp_nonce", None)
        if nonce is not None and response.get("Content-Type", "").startswith("text/html"):
            str(nonce)  # reading it is what puts it in the header
        return super().get_policy_parts(request, response, report_only)


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
