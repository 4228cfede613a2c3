"""The SP metadata, as allauth serves it, but always offering the encryption key: python3-saml
lists it only when encryption is required, and an IdP that may encrypt needs to find it."""

from __future__ import annotations

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.providers.saml.utils import build_saml_config, get_app_or_404
from django.http import HttpRequest, HttpResponse, JsonResponse
from onelogin.saml2.settings import OneLogin_Saml2_Settings


@login_not_required
def metadata(request: HttpRequest, organization_slug: str) -> HttpResponse:
    app = get_app_or_404(request, organization_slug)
    config = build_saml_config(request, app.settings, organization_slug)
    # Only this metadata document is built from these settings; sign-in keeps the admin's.
    config["security"]["wantAssertionsEncrypted"] = True
    saml_settings = OneLogin_Saml2_Settings(settings=config, sp_validation_only=True)
    document = saml_settings.get_sp_metadata()
    errors = saml_settings.validate_metadata(document)
    if errors:
        return JsonResponse({"detail": "The SP metadata is invalid.", "errors": errors}, status=500)
    return HttpResponse(document, content_type="application/samlmetadata+xml")
