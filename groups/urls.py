from django.urls import path

from groups import views

urlpatterns = [
    path("", views.group_list, name="group-list"),
    path("<uuid:public_id>/", views.group_detail, name="group-detail"),
    path("<uuid:public_id>/accept/", views.group_accept, name="group-accept"),
    path("<uuid:public_id>/decline/", views.group_decline, name="group-decline"),
    path("<uuid:public_id>/invite/", views.group_invite, name="group-invite"),
    path("<uuid:public_id>/leave/", views.group_leave, name="group-leave"),
    path("<uuid:public_id>/posts/", views.group_post, name="group-post"),
    path("<uuid:public_id>/share/", views.group_share, name="group-share"),
    path(
        "<uuid:public_id>/shared/<int:grant_id>/",
        views.group_shared_item,
        name="group-shared-item",
    ),
    path("<uuid:public_id>/goals/", views.group_goal_create, name="group-goal-create"),
    path(
        "<uuid:public_id>/goals/<uuid:goal_id>/adopt/",
        views.group_goal_adopt,
        name="group-goal-adopt",
    ),
    path(
        "<uuid:public_id>/goals/<uuid:goal_id>/progress/",
        views.group_goal_progress,
        name="group-goal-progress",
    ),
    path("<uuid:public_id>/feedback/", views.group_feedback_create, name="group-feedback-create"),
    path(
        "<uuid:public_id>/feedback/<uuid:request_id>/",
        views.group_feedback_detail,
        name="group-feedback-detail",
    ),
]
