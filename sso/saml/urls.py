# allauth finds a provider's URLs beside its class; the SAML views themselves are allauth's.
from allauth.socialaccount.providers.saml.urls import urlpatterns

__all__ = ["urlpatterns"]
