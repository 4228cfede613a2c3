from django.urls import path

from coaching import views

urlpatterns = [
    path("", views.home, name="coaching-home"),
    path("invite/", views.invite, name="coaching-invite"),
    path("assign/", views.assign, name="coaching-assign"),
    path(
        "relationships/<uuid:public_id>/",
        views.relationship_detail,
        name="coaching-relationship",
    ),
    path(
        "relationships/<uuid:public_id>/accept/",
        views.relationship_accept,
        name="coaching-relationship-accept",
    ),
    path(
        "relationships/<uuid:public_id>/decline/",
        views.relationship_decline,
        name="coaching-relationship-decline",
    ),
    path(
        "relationships/<uuid:public_id>/end/",
        views.relationship_end,
        name="coaching-relationship-end",
    ),
]

urlpatterns += [
    path("overview/", views.overview, name="coaching-overview"),
    path("overview/nudge/", views.nudge, name="coaching-nudge"),
    path("coachees/<uuid:public_id>/", views.coachee, name="coaching-coachee"),
    path("threads/", views.thread_list, name="coaching-thread-list"),
    path("goals/<int:pk>/thread/", views.goal_thread, name="coaching-goal-thread"),
    path("evidence/<int:pk>/thread/", views.evidence_thread, name="coaching-evidence-thread"),
    path("checkins/<int:pk>/thread/", views.checkin_thread, name="coaching-checkin-thread"),
    path(
        "threads/<uuid:public_id>/reply/",
        views.thread_reply,
        name="coaching-thread-reply",
    ),
    path("comments/<uuid:public_id>/edit/", views.comment_edit, name="coaching-comment-edit"),
    path(
        "comments/<uuid:public_id>/delete/",
        views.comment_delete,
        name="coaching-comment-delete",
    ),
    path(
        "comments/<uuid:public_id>/history/",
        views.comment_history,
        name="coaching-comment-history",
    ),
]

urlpatterns += [
    path(
        "coachees/<uuid:public_id>/meetings/new/",
        views.meeting_create,
        name="coaching-meeting-create",
    ),
    path("meetings/calendar.ics", views.meetings_calendar, name="coaching-meetings-calendar"),
    path("meetings/<uuid:public_id>/", views.meeting_detail, name="coaching-meeting"),
    path(
        "meetings/<uuid:public_id>/calendar.ics",
        views.meeting_calendar,
        name="coaching-meeting-calendar",
    ),
    path("meetings/<uuid:public_id>/notes/", views.meeting_notes, name="coaching-meeting-notes"),
    path("meetings/<uuid:public_id>/cancel/", views.meeting_cancel, name="coaching-meeting-cancel"),
    path(
        "meetings/<uuid:public_id>/action-items/",
        views.action_item_create,
        name="coaching-action-item-create",
    ),
    path(
        "action-items/<uuid:public_id>/confirm/",
        views.action_item_confirm,
        name="coaching-action-item-confirm",
    ),
    path(
        "action-items/<uuid:public_id>/decline/",
        views.action_item_decline,
        name="coaching-action-item-decline",
    ),
]
