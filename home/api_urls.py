from django.urls import path

from home import api

urlpatterns = [
    path("shared-with-me/", api.SharedWithMeApi.as_view(), name="api-shared-with-me"),
]
