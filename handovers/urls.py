from django.urls import path

from handovers import views

urlpatterns = [
    path("", views.handover_list, name="handover-list"),
    path("new/", views.handover_create, name="handover-create"),
    path("received/", views.received_list, name="handover-received-list"),
    path("received/<uuid:public_id>/", views.received_detail, name="handover-received-detail"),
    path("<uuid:public_id>/", views.handover_detail, name="handover-detail"),
    path("<uuid:public_id>/send/", views.handover_send, name="handover-send"),
    path("<uuid:public_id>/withdraw/", views.handover_withdraw, name="handover-withdraw"),
    path("<uuid:public_id>/refresh/", views.handover_refresh, name="handover-refresh"),
    path("<uuid:public_id>/delete/", views.handover_delete, name="handover-delete"),
]
