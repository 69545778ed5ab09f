"""Review (gold answers), review items and project statistics.

Visibility as in ``annotator.views``: a project the user does not belong to answers 404; a
member lacking the capability gets 403.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from . import permissions as perms
from .models import Project, Task
from .serializers_review import (
    CORRECTION_FIELDS,
    ProjectStatsSerializer,
    ReviewItemQuerySerializer,
    ReviewItemSerializer,
    ReviewSerializer,
    StatsQuerySerializer,
)
from .services import review as review_service
from .services.payload import AnswerPayload
from .services.stats import project_stats
from .views import get_visible_project


def _readable_project(request, project_pk) -> Project:
    project = get_visible_project(request.user, project_pk)
    if not perms.can_read_all_annotations(request.user, project):
        raise PermissionDenied("Only reviewers, managers and researchers of the project can see this.")
    return project


def _item_response(request, project: Project, task_id: int) -> dict:
    try:
        task = review_service.get_item_task(project, task_id)
    except Task.DoesNotExist:
        raise NotFound(f"project {project.pk} has no task {task_id}")
    item = review_service.review_items([task], project.checklist_version)[0]
    return ReviewItemSerializer(item, context={"request": request}).data


class ReviewItemViewSet(viewsets.GenericViewSet):
    """Tasks to review: pending (submitted, no gold answer yet) or reviewed, with their
    annotations, where they disagree and the gold answer. Pending and most disagreeing first."""

    serializer_class = ReviewItemSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=["pending", "reviewed", "all"], description="Default: pending."),
            OpenApiParameter("disagreement", bool, description="1: only items whose annotations disagree."),
        ]
    )
    def list(self, request, project_pk=None):
        project = _readable_project(request, project_pk)
        query = ReviewItemQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        tasks = review_service.review_queue(
            project, state=query.validated_data["state"], disagreement_only=query.validated_data["disagreement"]
        )
        page = self.paginate_queryset(tasks)
        items = review_service.review_items(list(page), project.checklist_version)
        return self.get_paginated_response(ReviewItemSerializer(items, many=True, context={"request": request}).data)

    def retrieve(self, request, project_pk=None, task_pk=None):
        project = _readable_project(request, project_pk)
        return Response(_item_response(request, project, int(task_pk)))


class TaskReviewView(APIView):
    """Set (POST) or remove (DELETE) the gold answer of a task."""

    @extend_schema(request=ReviewSerializer, responses={200: ReviewItemSerializer})
    def post(self, request, project_pk: int, task_pk: int):
        """Accept one annotation of the task, or correct it (validated like a submit); every
        submitted annotation of the task becomes reviewed. A new review replaces the gold
        answer and keeps the replaced one in its history. Reviewers and managers."""
        project = get_visible_project(request.user, project_pk)
        if not perms.can_review(request.user, project):
            raise PermissionDenied("Only reviewers and managers of the project can review.")
        task = get_object_or_404(Task, project=project, pk=task_pk)
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        correction = None
        if any(data.get(name) is not None for name in CORRECTION_FIELDS):
            correction = AnswerPayload(
                options=data.get("options") or {},
                preference=data.get("preference"),
                dimension_preferences=data.get("dimension_preferences") or {},
            )
        review_service.review_task(
            task, request.user, accept=data.get("accept"), correction=correction, comment=data.get("comment", "")
        )
        return Response(_item_response(request, project, task.pk))

    @extend_schema(request=None, responses={204: OpenApiResponse(description="The gold answer is removed.")})
    def delete(self, request, project_pk: int, task_pk: int):
        """Remove the gold answer (the annotations stay reviewed). Managers only."""
        project = get_visible_project(request.user, project_pk)
        if not perms.can_manage(request.user, project):
            raise PermissionDenied("Only the project's managers can remove a gold answer.")
        task = get_object_or_404(Task, project=project, pk=task_pk)
        if not review_service.delete_gold(task):
            raise NotFound(f"task {task.pk} has no gold answer")
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectStatsView(APIView):
    """Progress, throughput, agreement, imports and failed assets of a project."""

    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="Days of daily counts, 1..365 (default 14).")],
        responses={200: ProjectStatsSerializer},
    )
    def get(self, request, project_pk: int):
        """Managers, reviewers, researchers and admins."""
        project = _readable_project(request, project_pk)
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stats = project_stats(project, days=query.validated_data["days"])
        return Response(ProjectStatsSerializer(stats).data)
