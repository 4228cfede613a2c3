from django.urls import path

from xapi import api

urlpatterns = [
    path("learning/incoming/", api.IncomingListApi.as_view(), name="api-xapi-incoming"),
    path(
        "learning/incoming/<uuid:statement_id>/accept/",
        api.IncomingAcceptApi.as_view(),
        name="api-xapi-incoming-accept",
    ),
    path(
        "learning/incoming/<uuid:statement_id>/dismiss/",
        api.IncomingDismissApi.as_view(),
        name="api-xapi-incoming-dismiss",
    ),
]
