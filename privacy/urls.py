from django.urls import path

from privacy import views

urlpatterns = [
    path("erase/", views.account_erase_page, name="account-erase"),
    path("erased/", views.account_erased, name="account-erased"),
]
