from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import generics, serializers

from core.api import LimitOffset
from frameworks.models import Competency, Framework, LevelDescriptor, RatingScale, ScaleLevel
from frameworks.selectors import framework_detail, framework_list


class CompetencyOfItemSerializer(serializers.ModelSerializer[Competency]):
    """A competency an item is tagged with, named by framework code and version."""

    framework = serializers.CharField(source="framework.code", read_only=True)
    version = serializers.CharField(source="framework.version", read_only=True)

    class Meta:
        model = Competency
        fields = ["id", "code", "title", "framework", "version"]


class ScaleLevelSerializer(serializers.ModelSerializer[ScaleLevel]):
    class Meta:
        model = ScaleLevel
        fields = ["value", "label", "anchor"]


class RatingScaleSerializer(serializers.ModelSerializer[RatingScale]):
    levels = ScaleLevelSerializer(many=True)

    class Meta:
        model = RatingScale
        fields = ["code", "name", "kind", "levels"]


class LevelDescriptorSerializer(serializers.ModelSerializer[LevelDescriptor]):
    class Meta:
        model = LevelDescriptor
        fields = ["level", "text"]


class CompetencySerializer(serializers.ModelSerializer[Competency]):
    # DRF's Field.parent (the enclosing serializer) shares the name; at runtime the metaclass
    # moves declared fields out of the class, so only the type checker sees a clash.
    parent: serializers.SlugRelatedField[Competency] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )
    ratable = serializers.BooleanField(
        source="is_ratable",
        read_only=True,
        help_text="True for leaves of the tree (sub-competencies, EPAs): the items people rate.",
    )
    descriptors = LevelDescriptorSerializer(many=True)

    class Meta:
        model = Competency
        fields = [
            "id",
            "code",
            "title",
            "description",
            "order",
            "parent",
            "ratable",
            "descriptors",
        ]


class FrameworkSummarySerializer(serializers.ModelSerializer[Framework]):
    scale: serializers.SlugRelatedField[RatingScale] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    competency_count = serializers.IntegerField(
        read_only=True, help_text="Every node of the tree, domains included."
    )
    ratable_count = serializers.IntegerField(
        read_only=True, help_text="Leaves of the tree: the items people rate."
    )

    class Meta:
        model = Framework
        fields = [
            "code",
            "version",
            "name",
            "kind",
            "effective_date",
            "source",
            "scale",
            "competency_count",
            "ratable_count",
        ]


class FrameworkDetailSerializer(serializers.ModelSerializer[Framework]):
    scale = RatingScaleSerializer()
    competencies = CompetencySerializer(many=True)

    class Meta:
        model = Framework
        fields = [
            "code",
            "version",
            "name",
            "kind",
            "effective_date",
            "source",
            "source_url",
            "licence_note",
            "scale",
            "competencies",
        ]


class FrameworkListApi(generics.ListAPIView[Framework]):
    """Every framework version, newest version first within a code."""

    serializer_class = FrameworkSummarySerializer
    pagination_class = LimitOffset

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return framework_list()


class FrameworkDetailApi(generics.RetrieveAPIView[Framework]):
    """One framework version with its competency tree, level descriptors and scale."""

    serializer_class = FrameworkDetailSerializer

    def get_object(self) -> Framework:
        return get_object_or_404(
            framework_detail(),
            code=self.kwargs["code"],
            version=self.kwargs["version"],
        )
