from django.urls import path

from learning import api

urlpatterns = [
    path(
        "learning/catalogue/import/",
        api.CatalogueImportApi.as_view(),
        name="api-learning-catalogue-import",
    ),
    path(
        "learning/resources/", api.LearningResourceListApi.as_view(), name="api-learning-resources"
    ),
    path(
        "learning/resources/<int:pk>/",
        api.LearningResourceDetailApi.as_view(),
        name="api-learning-resource",
    ),
    path(
        "learning/resources/<int:pk>/feedback/",
        api.ResourceFeedbackApi.as_view(),
        name="api-learning-feedback",
    ),
    path(
        "learning/resources/<int:pk>/evidence/",
        api.ResourceEvidenceCreateApi.as_view(),
        name="api-learning-evidence",
    ),
    path(
        "learning/recommendations/",
        api.RecommendationListApi.as_view(),
        name="api-learning-recommendations",
    ),
    path("learning/visits/", api.UpcomingVisitListApi.as_view(), name="api-learning-visits"),
    path(
        "learning/visits/bundle/",
        api.VisitBundleUploadApi.as_view(),
        name="api-learning-visit-upload",
    ),
    path(
        "learning/visits/<int:pk>/",
        api.UpcomingVisitDetailApi.as_view(),
        name="api-learning-visit",
    ),
    path("learning/upcoming/", api.UpcomingLearningApi.as_view(), name="api-learning-upcoming"),
    path(
        "learning/practitioner/",
        api.PractitionerApi.as_view(),
        name="api-learning-practitioner",
    ),
]
