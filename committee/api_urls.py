from django.urls import path

from committee import api

program = "programs/<int:program_id>/"
learner = program + "periods/<int:period_id>/learners/<int:learner_id>/"

urlpatterns = [
    path(
        program + "periods/<int:period_id>/consensus/",
        api.ConsensusListApi.as_view(),
        name="api-consensus-list",
    ),
    path(learner + "packet/", api.PacketDetailApi.as_view(), name="api-packet-detail"),
    path(learner + "consensus/", api.ConsensusRecordApi.as_view(), name="api-consensus-record"),
    path(learner + "sign-off/", api.ReviewSignOffApi.as_view(), name="api-review-sign-off"),
    path(program + "heatmap/", api.HeatmapApi.as_view(), name="api-heatmap"),
    path(program + "flags/", api.FlagListApi.as_view(), name="api-flags"),
    path(
        "institution/overview/",
        api.InstitutionOverviewApi.as_view(),
        name="api-institution-overview",
    ),
    path(
        program + "learners/<int:learner_id>/entrustment-decisions/",
        api.EntrustmentDecisionListApi.as_view(),
        name="api-entrustment-decision-list",
    ),
    path(
        program + "entrustment-decisions/<int:decision_id>/sign-off/",
        api.EntrustmentDecisionSignOffApi.as_view(),
        name="api-entrustment-decision-sign-off",
    ),
    path(
        "me/entrustment-decisions/",
        api.MyEntrustmentDecisionListApi.as_view(),
        name="api-my-entrustment-decision-list",
    ),
    path("me/reviews/", api.MyReviewListApi.as_view(), name="api-my-review-list"),
    path(
        "me/reviews/<int:review_id>/", api.MyReviewDetailApi.as_view(), name="api-my-review-detail"
    ),
    path(
        "me/reviews/<int:review_id>/response/",
        api.MyReviewRespondApi.as_view(),
        name="api-my-review-respond",
    ),
]
