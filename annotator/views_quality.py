"""Quality control: gold checks (tasks with known answers served unseen among normal tasks).

Visibility as in ``annotator.views``: a project the user does not belong to answers 404; a
member lacking the capability gets 403, whether or not the task is a gold check, so an
annotator learns nothing about which tasks are.
"""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from . import permissions as perms
from .models import GoldCheck, Task
from .serializers_quality import GoldCheckInputSerializer, GoldCheckSerializer
from .services import quality as quality_service
from .views import get_visible_project

READERS_ONLY = "Only reviewers, managers and researchers of the project can see gold checks."


class GoldCheckView(APIView):
    """The gold check of a task: see (GET), set or replace (POST), stop (DELETE)."""

    @extend_schema(responses={200: GoldCheckSerializer, 404: OpenApiResponse(description="Not a gold check.")})
    def get(self, request, project_pk: int, task_pk: int):
        """Reviewers, managers and researchers."""
        project = get_visible_project(request.user, project_pk)
        if not perms.can_read_all_annotations(request.user, project):
            raise PermissionDenied(READERS_ONLY)
        task = get_object_or_404(Task, project=project, pk=task_pk)
        check = GoldCheck.objects.filter(task=task).select_related("task", "created_by").first()
        if check is None:
            raise NotFound(f"task {task.pk} is not a gold check")
        return Response(GoldCheckSerializer(check).data)

    @extend_schema(request=GoldCheckInputSerializer, responses={201: GoldCheckSerializer, 200: GoldCheckSerializer})
    def post(self, request, project_pk: int, task_pk: int):
        """Make the task a gold check with these expected answers (201), or replace them (200):
        ``options`` for a single task, the gold ``preference`` (1..5, 3 = tie) and optional
        ``dimension_preferences`` for a pair, or ``from_gold_answer`` for either.

        The task leaves the normal queue and is served to annotators who never had it, at the
        project's ``gold_check_rate``, looking like any task. Managers only."""
        project = get_visible_project(request.user, project_pk)
        if not perms.can_manage(request.user, project):
            raise PermissionDenied("Only the project's managers can set gold checks.")
        task = get_object_or_404(Task, project=project, pk=task_pk)
        body = GoldCheckInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        check, created = quality_service.set_gold_check(
            task,
            request.user,
            options=data.get("options"),
            preference=data.get("preference"),
            dimension_preferences=data.get("dimension_preferences"),
            from_gold_answer=data["from_gold_answer"],
            comment=data["comment"],
        )
        check = GoldCheck.objects.select_related("task", "created_by").get(pk=check.pk)
        return Response(
            GoldCheckSerializer(check).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(request=None, responses={204: OpenApiResponse(description="The task is a normal task again.")})
    def delete(self, request, project_pk: int, task_pk: int):
        """Stop using the task as a gold check; its annotations stay and it returns to the normal
        queue (done when it already has k annotations). Managers only."""
        project = get_visible_project(request.user, project_pk)
        if not perms.can_manage(request.user, project):
            raise PermissionDenied("Only the project's managers can remove gold checks.")
        task = get_object_or_404(Task, project=project, pk=task_pk)
        if not quality_service.remove_gold_check(task):
            raise NotFound(f"task {task.pk} is not a gold check")
        return Response(status=status.HTTP_204_NO_CONTENT)


class GoldCheckListView(generics.ListAPIView):
    """The gold checks of a project, oldest task first, with how many annotations each has.
    Reviewers, managers and researchers."""

    serializer_class = GoldCheckSerializer
    filter_backends: list = []

    def get_queryset(self):
        project = get_visible_project(self.request.user, self.kwargs["project_pk"])
        if not perms.can_read_all_annotations(self.request.user, project):
            raise PermissionDenied(READERS_ONLY)
        return (
            GoldCheck.objects.filter(project=project)
            .select_related("task", "created_by")
            .annotate(n_annotations=Count("task__annotations"))
            .order_by("task_id")
        )
