from django.urls import path

from accounts.api import MeRetrieveApi

urlpatterns = [
    path("me/", MeRetrieveApi.as_view(), name="api-me"),
]
