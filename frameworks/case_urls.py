from django.urls import path

from frameworks import case_api

# The CASE 1.0 REST binding's read endpoints (sourcedId is a UUID; a bad one gets 400).
urlpatterns = [
    path("CFDocuments", case_api.documents, name="case-documents"),
    path("CFDocuments/<str:sourced_id>", case_api.document, name="case-document"),
    path("CFPackages/<str:sourced_id>", case_api.package, name="case-package"),
    path("CFItems/<str:sourced_id>", case_api.item, name="case-item"),
    path("CFAssociations/<str:sourced_id>", case_api.association, name="case-association"),
    path("CFRubrics/<str:sourced_id>", case_api.rubric, name="case-rubric"),
]
