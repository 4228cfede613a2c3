from django.urls import path

from home import views

urlpatterns = [
    path("", views.home, name="home"),
    path("shared-with-me/", views.shared_with_me, name="shared-with-me"),
]
