"""SCIM 2.0 routes, under /scim/v2/ (RFC 7644 §3.2)."""

from django.urls import path

from sso.scim import views

urlpatterns = [
    path("Users", views.users, name="scim_users"),
    path("Users/<str:pk>", views.user, name="scim_user"),
    path("Groups", views.groups, name="scim_groups"),
    path("Groups/<str:pk>", views.group, name="scim_group"),
    path("ServiceProviderConfig", views.service_provider_config, name="scim_config"),
    path("ResourceTypes", views.resource_types, name="scim_resource_types"),
    path("ResourceTypes/<str:pk>", views.resource_types, name="scim_resource_type"),
    path("Schemas", views.schemas, name="scim_schemas"),
    path("Schemas/<str:pk>", views.schemas, name="scim_schema"),
    # Anything else under /scim/v2/ answers with a SCIM error, not the site's 404 page.
    path("<path:rest>", views.not_found, name="scim_not_found"),
]
