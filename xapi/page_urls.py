from django.urls import path

from xapi.views import incoming

urlpatterns = [
    path("", incoming.incoming_list, name="xapi-incoming"),
    path("<uuid:statement_id>/accept/", incoming.incoming_accept_view, name="xapi-incoming-accept"),
    path(
        "<uuid:statement_id>/dismiss/", incoming.incoming_dismiss_view, name="xapi-incoming-dismiss"
    ),
]
