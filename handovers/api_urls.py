from django.urls import path

from handovers import api

urlpatterns = [
    path("handovers/", api.HandoverListApi.as_view(), name="api-handover-list"),
    path(
        "handovers/received/",
        api.ReceivedHandoverListApi.as_view(),
        name="api-handover-received-list",
    ),
    path(
        "handovers/received/<uuid:public_id>/",
        api.ReceivedHandoverDetailApi.as_view(),
        name="api-handover-received-detail",
    ),
    path(
        "handovers/<uuid:public_id>/",
        api.HandoverDetailApi.as_view(),
        name="api-handover-detail",
    ),
    path(
        "handovers/<uuid:public_id>/send/", api.HandoverSendApi.as_view(), name="api-handover-send"
    ),
    path(
        "handovers/<uuid:public_id>/refresh/",
        api.HandoverRefreshApi.as_view(),
        name="api-handover-refresh",
    ),
    path(
        "handovers/<uuid:public_id>/withdraw/",
        api.HandoverWithdrawApi.as_view(),
        name="api-handover-withdraw",
    ),
]
