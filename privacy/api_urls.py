from django.urls import path

from privacy import api

urlpatterns = [
    path("me/erase/", api.MeEraseApi.as_view(), name="api-me-erase"),
]
