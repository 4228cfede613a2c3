from django.urls import path

from caselog import views

urlpatterns = [
    path("case-log/", views.log, name="caselog"),
    path("case-log/new/", views.entry_create, name="caselog-entry-create"),
    path("case-log/<int:pk>/delete/", views.entry_delete, name="caselog-entry-delete"),
    path("case-log/export.csv", views.export, name="caselog-export"),
    path("case-log/verify/", views.to_verify, name="caselog-verify-list"),
    path("case-log/<int:pk>/verify/", views.entry_verify, name="caselog-entry-verify"),
    path(
        "programs/<int:program_id>/procedures/",
        views.procedure_index,
        name="caselog-procedures",
    ),
]
