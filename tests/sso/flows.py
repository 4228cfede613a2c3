"""Walk a real identity provider's pages with `requests` (no browser) up to the answer it sends
back, so tests can hand that answer to Continuum as it is, or altered."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
import requests


@dataclass
class PostedForm:
    action: str
    fields: dict[str, str]


def form_of(html: str, base_url: str) -> PostedForm:
    document = lxml.html.fromstring(html)
    form = document.forms[0]
    fields = {
        name: value or ""
        for name, value in form.form_values()  # hidden and text inputs with their values
    }
    return PostedForm(action=urljoin(base_url, form.action or base_url), fields=fields)


def simplesamlphp_answer(
    start_url: str, *, login: str, password: str, session: requests.Session | None = None
) -> PostedForm:
    """Sign in at SimpleSAMLphp from `start_url` (an SSO URL with a request, or its
    IdP-initiated URL) and return the form it posts to the service provider's ACS."""
    browser = session or requests.Session()
    page = browser.get(start_url, timeout=15)
    page.raise_for_status()
    if "SAMLResponse" not in page.text:
        form = form_of(page.text, page.url)
        form.fields.update({"username": login, "password": password})
        page = browser.post(form.action, data=form.fields, timeout=15)
        page.raise_for_status()
    answer = form_of(page.text, page.url)
    assert "SAMLResponse" in answer.fields, page.text[:2000]
    return answer


def decoded(answer: PostedForm) -> bytes:
    return base64.b64decode(answer.fields["SAMLResponse"])


def with_response(answer: PostedForm, xml: bytes) -> PostedForm:
    fields = dict(answer.fields)
    fields["SAMLResponse"] = base64.b64encode(xml).decode()
    return PostedForm(action=answer.action, fields=fields)


def oidc_provider_answer(authorize_url: str, *, login: str, app_base: str) -> str:
    """Sign in at oidc-provider (its login and consent forms) from an authorization URL and
    return the callback URL it redirects the browser to, without following it."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(20):
        page = browser.get(url, allow_redirects=False, timeout=15)
        while page.status_code in (302, 303):
            url = urljoin(url, page.headers["Location"])
            if url.startswith(app_base):
                return url
            page = browser.get(url, allow_redirects=False, timeout=15)
        assert page.status_code == 200, (page.status_code, page.text[:1000])
        form = form_of(page.text, url)
        if form.fields.get("prompt") == "login":
            form.fields.update({"login": login, "password": "any"})
        answer = browser.post(form.action, data=form.fields, allow_redirects=False, timeout=15)
        assert answer.status_code in (302, 303), (answer.status_code, answer.text[:1000])
        url = urljoin(form.action, answer.headers["Location"])
        if url.startswith(app_base):
            return url
    raise AssertionError("oidc-provider never sent the browser back")
