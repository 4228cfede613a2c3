from django.urls import path

from notifications import api

urlpatterns = [
    path(
        "coaching/notifications/",
        api.NotificationListApi.as_view(),
        name="api-coaching-notification-list",
    ),
    path(
        "coaching/notifications/read-all/",
        api.NotificationReadAllApi.as_view(),
        name="api-coaching-notification-read-all",
    ),
    path(
        "coaching/notifications/<uuid:public_id>/read/",
        api.NotificationReadApi.as_view(),
        name="api-coaching-notification-read",
    ),
    path(
        "coaching/notification-preferences/",
        api.NotificationPreferenceApi.as_view(),
        name="api-coaching-notification-preferences",
    ),
]
