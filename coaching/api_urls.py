from django.urls import path

from coaching import api

urlpatterns = [
    path(
        "coaching/relationships/",
        api.RelationshipListApi.as_view(),
        name="api-coaching-relationship-list",
    ),
    path(
        "coaching/relationships/invite/",
        api.RelationshipInviteApi.as_view(),
        name="api-coaching-relationship-invite",
    ),
    path(
        "coaching/relationships/assign/",
        api.RelationshipAssignApi.as_view(),
        name="api-coaching-relationship-assign",
    ),
    path(
        "coaching/relationships/<uuid:public_id>/",
        api.RelationshipRetrieveApi.as_view(),
        name="api-coaching-relationship-detail",
    ),
    path(
        "coaching/relationships/<uuid:public_id>/accept/",
        api.RelationshipAcceptApi.as_view(),
        name="api-coaching-relationship-accept",
    ),
    path(
        "coaching/relationships/<uuid:public_id>/decline/",
        api.RelationshipDeclineApi.as_view(),
        name="api-coaching-relationship-decline",
    ),
    path(
        "coaching/relationships/<uuid:public_id>/end/",
        api.RelationshipEndApi.as_view(),
        name="api-coaching-relationship-end",
    ),
    path("coaching/overview/", api.CoacheeOverviewApi.as_view(), name="api-coaching-overview"),
    path("coaching/nudges/", api.NudgeApi.as_view(), name="api-coaching-nudge"),
    path("coaching/threads/", api.ThreadListApi.as_view(), name="api-coaching-thread-list"),
    path(
        "coaching/threads/<uuid:public_id>/",
        api.ThreadRetrieveApi.as_view(),
        name="api-coaching-thread-detail",
    ),
    path(
        "coaching/threads/<uuid:public_id>/comments/",
        api.ThreadReplyApi.as_view(),
        name="api-coaching-thread-reply",
    ),
    path("coaching/comments/", api.CommentCreateApi.as_view(), name="api-coaching-comment-create"),
    path(
        "coaching/comments/<uuid:public_id>/",
        api.CommentDetailApi.as_view(),
        name="api-coaching-comment-detail",
    ),
    path(
        "coaching/comments/<uuid:public_id>/revisions/",
        api.CommentRevisionListApi.as_view(),
        name="api-coaching-comment-revisions",
    ),
    path(
        "coaching/meetings/", api.MeetingListCreateApi.as_view(), name="api-coaching-meeting-list"
    ),
    path(
        "coaching/meetings/calendar/",
        api.MeetingsCalendarApi.as_view(),
        name="api-coaching-meetings-calendar",
    ),
    path(
        "coaching/meetings/<uuid:public_id>/calendar/",
        api.MeetingCalendarApi.as_view(),
        name="api-coaching-meeting-calendar",
    ),
    path(
        "coaching/meetings/<uuid:public_id>/",
        api.MeetingDetailApi.as_view(),
        name="api-coaching-meeting-detail",
    ),
    path(
        "coaching/meetings/<uuid:public_id>/cancel/",
        api.MeetingCancelApi.as_view(),
        name="api-coaching-meeting-cancel",
    ),
    path(
        "coaching/meetings/<uuid:public_id>/action-items/",
        api.ActionItemCreateApi.as_view(),
        name="api-coaching-action-item-create",
    ),
    path(
        "coaching/action-items/",
        api.ActionItemListApi.as_view(),
        name="api-coaching-action-item-list",
    ),
    path(
        "coaching/action-items/<uuid:public_id>/confirm/",
        api.ActionItemConfirmApi.as_view(),
        name="api-coaching-action-item-confirm",
    ),
    path(
        "coaching/action-items/<uuid:public_id>/decline/",
        api.ActionItemDeclineApi.as_view(),
        name="api-coaching-action-item-decline",
    ),
]
