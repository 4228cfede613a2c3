from django.urls import path

from frameworks import views

urlpatterns = [
    path("", views.framework_index, name="framework-list"),
    path("<slug:code>/<str:version>/", views.framework_show, name="framework-detail"),
    path(
        "<slug:code>/<str:version>/download.<str:fmt>",
        views.framework_download,
        name="framework-download",
    ),
]
