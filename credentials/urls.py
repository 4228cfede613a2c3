from django.urls import path

from credentials import views

urlpatterns = [
    path("", views.credential_list, name="credential-list"),
    path("<uuid:public_id>.json", views.credential_download, name="credential-download"),
    path("verify/", views.credential_check, name="credential-check"),
    path("verify/<uuid:public_id>/", views.credential_verify_page, name="credential-verify"),
    path("issuers/<slug:slug>/did.json", views.issuer_did_document, name="credential-issuer"),
    path("status/<slug:slug>/", views.status_list, name="credential-status-list"),
]
