from django.urls import path

from equity import views

urlpatterns = [
    path("", views.equity_view, name="equity-view"),
    path("characteristics/", views.characteristics, name="equity-characteristics"),
    path(
        "characteristics/<slug:key>/delete/",
        views.characteristic_delete,
        name="equity-characteristic-delete",
    ),
    path("my-ratings/", views.assessor_signal, name="equity-assessor-signal"),
]
