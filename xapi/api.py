"""Incoming learning over the API: the statements about you, accepted as evidence or dismissed,
as the page at /learning/incoming/ offers. Serializers shape and validate; views call the
selectors and services the page uses."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import LimitOffset
from frameworks.models import Competency
from xapi.models import IncomingDecision, Statement
from xapi.selectors.incoming import (
    activity_of,
    incoming_decision,
    incoming_for,
    incoming_statement,
    learner_keys,
    suggestions_for,
)
from xapi.services.incoming import incoming_accept, incoming_dismiss
from xapi.summary import summarise

# --- Serializers ------------------------------------------------------------------------------


class SuggestedCompetencySerializer(serializers.ModelSerializer[Competency]):
    framework = serializers.CharField(source="framework.code")
    framework_version = serializers.CharField(source="framework.version")

    class Meta:
        model = Competency
        fields = ["id", "framework", "framework_version", "code", "title"]


class SuggestionSerializer(serializers.Serializer[Any]):
    competency = SuggestedCompetencySerializer()
    reason = serializers.CharField(
        help_text="Why: 'mapped activity' (an administrator's mapping of the activity id or "
        "type) or 'sent by the client' (the competency extension of the statement)."
    )


class IncomingStatementSerializer(serializers.Serializer[Any]):
    """One statement about you, summarised, with the competencies suggested for it."""

    statement_id = serializers.UUIDField()
    activity_id = serializers.SerializerMethodField(
        help_text="The activity's IRI; null when the statement's object is not an activity."
    )
    activity = serializers.SerializerMethodField(help_text="The activity's English name or id.")
    verb_id = serializers.CharField()
    verb = serializers.SerializerMethodField(help_text="The verb's English display.")
    occurred_on = serializers.SerializerMethodField()
    stored = serializers.DateTimeField()
    score = serializers.SerializerMethodField(help_text="e.g. '8/10' or '85%'; '' without one.")
    success = serializers.SerializerMethodField()
    completion = serializers.SerializerMethodField()
    duration = serializers.SerializerMethodField(help_text="e.g. '1 h 30 min'; '' without one.")
    sent_by = serializers.CharField(source="client.name", help_text="The LRS client that sent it.")
    suggestions = serializers.SerializerMethodField()
    statement = serializers.JSONField(source="data", help_text="The statement as stored.")

    def get_activity_id(self, row: Statement) -> str | None:
        return activity_of(row.data).get("id")

    def get_activity(self, row: Statement) -> str:
        return summarise(row.data).activity

    def get_verb(self, row: Statement) -> str:
        return summarise(row.data).verb

    @extend_schema_field(OpenApiTypes.DATE)
    def get_occurred_on(self, row: Statement) -> str | None:
        day = summarise(row.data).occurred_on
        return day.isoformat() if day else None

    def get_score(self, row: Statement) -> str:
        return summarise(row.data).score

    def get_success(self, row: Statement) -> bool | None:
        return summarise(row.data).success

    def get_completion(self, row: Statement) -> bool | None:
        return summarise(row.data).completion

    def get_duration(self, row: Statement) -> str:
        return summarise(row.data).duration

    @extend_schema_field(SuggestionSerializer(many=True))
    def get_suggestions(self, row: Statement) -> list[dict[str, Any]]:
        found = self.context.get("suggestions", {}).get(row.seq, [])
        return list(SuggestionSerializer(found, many=True).data)


class AcceptRequestSerializer(serializers.Serializer[Any]):
    competencies = serializers.ListField(
        # Ids are 64-bit: a larger number is a 400 here, not an overflow in the database.
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=200,
        help_text="Ids of competencies of your current frameworks the evidence supports "
        "(the suggestions, or others).",
    )


class AcceptedSerializer(serializers.Serializer[Any]):
    statement_id = serializers.UUIDField()
    evidence_id = serializers.IntegerField()
    title = serializers.CharField()


# --- Views ------------------------------------------------------------------------------------


class IncomingPagination(LimitOffset):
    default_limit = 20
    max_limit = 100


def _me(request: Request) -> User:
    # IsAuthenticated (the default permission) has run: this is a signed-in User.
    return cast(User, request.user)


class IncomingListApi(generics.ListAPIView[Statement]):
    """Your incoming learning: xAPI statements about you that you have neither accepted nor
    dismissed, newest first, each with the competencies suggested for it. Nobody else sees
    them."""

    serializer_class = IncomingStatementSerializer
    pagination_class = IncomingPagination

    @extend_schema(operation_id="xapi_incoming_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        learner = _me(request)
        queryset = incoming_for(learner=learner, keys=learner_keys(learner=learner))
        rows = self.paginate_queryset(queryset)
        assert rows is not None  # pagination_class is set
        context = {
            **self.get_serializer_context(),
            "suggestions": suggestions_for(learner=learner, statements=rows),
        }
        data = IncomingStatementSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data)


class IncomingAcceptApi(APIView):
    """Accept a statement about you as evidence (an external record) supporting the
    competencies you choose. Repeating it (a retry) returns the same evidence with 200."""

    @extend_schema(
        request=AcceptRequestSerializer,
        responses={
            201: AcceptedSerializer,
            200: OpenApiResponse(AcceptedSerializer, description="Accepted before: the same"),
            400: OpenApiResponse(description="A competency outside your current frameworks"),
            404: OpenApiResponse(description="No such statement about you, or you dismissed it"),
        },
        operation_id="xapi_incoming_accept",
    )
    def post(self, request: Request, statement_id: UUID) -> Response:
        learner = _me(request)
        incoming = AcceptRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        statement = incoming_statement(learner=learner, statement_id=str(statement_id))
        if statement is None:
            decided = incoming_decision(learner=learner, statement_id=str(statement_id))
            if decided is None or decided.evidence is None:
                raise NotFound("No such incoming statement.")
            return Response(
                self._accepted(statement_id, decided.evidence.pk, decided.evidence.title)
            )
        evidence = incoming_accept(
            learner=learner,
            statement=statement,
            competency_ids=incoming.validated_data["competencies"],
        )
        return Response(
            self._accepted(statement_id, evidence.pk, evidence.title), status.HTTP_201_CREATED
        )

    @staticmethod
    def _accepted(statement_id: UUID, evidence_id: int, title: str) -> dict[str, Any]:
        data = {"statement_id": statement_id, "evidence_id": evidence_id, "title": title}
        return dict(AcceptedSerializer(data).data)


class IncomingDismissApi(APIView):
    """Dismiss a statement about you: it leaves your incoming learning and nothing is made.
    Repeating it changes nothing."""

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Dismissed"),
            404: OpenApiResponse(description="No such statement about you, or you accepted it"),
        },
        operation_id="xapi_incoming_dismiss",
    )
    def post(self, request: Request, statement_id: UUID) -> Response:
        learner = _me(request)
        statement = incoming_statement(learner=learner, statement_id=str(statement_id))
        if statement is None:
            decided = incoming_decision(learner=learner, statement_id=str(statement_id))
            if decided is None or decided.status != IncomingDecision.Status.DISMISSED:
                raise NotFound("No such incoming statement.")
            return Response(status=status.HTTP_204_NO_CONTENT)
        incoming_dismiss(learner=learner, statement=statement)
        return Response(status=status.HTTP_204_NO_CONTENT)
