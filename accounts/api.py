from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from programs.selectors import roles_of


class MeSerializer(serializers.Serializer[object]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class MeRetrieveApi(APIView):
    """Who the caller is: the lightest authenticated endpoint (the stack's fixed cost)."""

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "id": user.pk,
            "email": user.email,  # type: ignore[union-attr]
            "name": user.name,  # type: ignore[union-attr]
            "roles": sorted(roles_of(user=user)),  # type: ignore[arg-type]
        }
        return Response(MeSerializer(data).data)
