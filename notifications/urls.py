from django.urls import path

from notifications import views

# Under /coaching/, where the inbox has always been: emails and notifications link there.
urlpatterns = [
    path("inbox/", views.inbox, name="coaching-inbox"),
    path(
        "inbox/<uuid:public_id>/open/",
        views.notification_open,
        name="coaching-notification-open",
    ),
    path("inbox/read-all/", views.notifications_read_all, name="coaching-notifications-read-all"),
    path("settings/", views.preferences, name="coaching-preferences"),
]
