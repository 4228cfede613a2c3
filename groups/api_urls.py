from django.urls import path

from groups import api

G = "groups/<uuid:public_id>"

urlpatterns = [
    path("groups/", api.GroupListApi.as_view(), name="api-group-list"),
    path("groups/invitations/", api.InvitationListApi.as_view(), name="api-group-invitations"),
    path(f"{G}/", api.GroupDetailApi.as_view(), name="api-group-detail"),
    path(f"{G}/accept/", api.InvitationAcceptApi.as_view(), name="api-group-accept"),
    path(f"{G}/decline/", api.InvitationDeclineApi.as_view(), name="api-group-decline"),
    path(f"{G}/invitations/", api.GroupInviteApi.as_view(), name="api-group-invite"),
    path(f"{G}/leave/", api.GroupLeaveApi.as_view(), name="api-group-leave"),
    path(f"{G}/posts/", api.PostListApi.as_view(), name="api-group-posts"),
    path(f"{G}/shares/", api.ShareListApi.as_view(), name="api-group-shares"),
    path(f"{G}/shares/<int:grant_id>/", api.ShareDetailApi.as_view(), name="api-group-share"),
    path(f"{G}/goals/", api.GroupGoalListApi.as_view(), name="api-group-goals"),
    path(
        f"{G}/goals/<uuid:goal_id>/adopt/",
        api.GroupGoalAdoptApi.as_view(),
        name="api-group-goal-adopt",
    ),
    path(
        f"{G}/goals/<uuid:goal_id>/progress/",
        api.GroupGoalProgressApi.as_view(),
        name="api-group-goal-progress",
    ),
    path(f"{G}/feedback/", api.FeedbackListApi.as_view(), name="api-group-feedback-list"),
    path(
        f"{G}/feedback/<uuid:request_id>/",
        api.FeedbackDetailApi.as_view(),
        name="api-group-feedback-detail",
    ),
    path(
        f"{G}/feedback/<uuid:request_id>/answers/",
        api.FeedbackAnswerApi.as_view(),
        name="api-group-feedback-answer",
    ),
]
