from django.urls import path

from learning import views

urlpatterns = [
    path("", views.catalogue, name="learning-catalogue"),
    path("resources/<int:pk>/", views.resource_show, name="learning-resource"),
    path("resources/<int:pk>/file/", views.resource_file, name="learning-resource-file"),
    path("resources/<int:pk>/feedback/", views.resource_feedback, name="learning-feedback"),
    path("resources/<int:pk>/evidence/", views.resource_evidence, name="learning-evidence"),
    path("recommendations/", views.recommendations, name="learning-recommendations"),
    path("upcoming/", views.upcoming, name="learning-upcoming"),
    path("visits/", views.visits, name="learning-visits"),
    path("visits/<int:pk>/remove/", views.visit_remove, name="learning-visit-remove"),
]
