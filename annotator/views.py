"""The annotation API: thin views over ``annotator.services``.

Visibility rule: an object of a project the user does not belong to answers 404 (its
existence is not revealed); a member lacking the capability gets 403.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import permissions as perms
from .checklist import ChecklistError, parse_checklist
from .checklist.lines import locate_problems
from .files import stored_file_response
from .models import Annotation, Asset, Assignment, ChecklistVersion, Membership, Project, Task
from .serializers import (
    AnnotationDetailSerializer,
    AnnotationSerializer,
    AnswerSerializer,
    AssetSerializer,
    AssignmentSerializer,
    ChecklistUploadSerializer,
    ChecklistVersionDetailSerializer,
    ChecklistVersionSerializer,
    MembershipSerializer,
    NextTaskSerializer,
    PairCreateSerializer,
    ProjectSerializer,
    SkipSerializer,
    SubmitSerializer,
    TaskSerializer,
)
from .services import answers as answer_service
from .services import claims as claim_service
from .services import members as member_service
from .services import review as review_service
from .services.checklist_change import ChecklistChangeError, change_checklist
from .services.checklists import checklist_preview, load_checklist_version
from .services.pairs import PairError, auto_pairs, create_pairs, make_project_pairs
from .services.payload import AnswerPayload
from .storage import media_storage

MAX_CHECKLIST_BYTES = 2 * 1024 * 1024


def get_visible_project(user, project_id) -> Project:
    project = get_object_or_404(Project, pk=project_id)
    if not perms.is_member(user, project):
        raise Http404
    return project


# --- checklists -------------------------------------------------------------------------


class ChecklistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Checklist versions: frozen, content-hashed definitions (dimensions → sub-dimensions →
    options → questions). Uploading an edited definition with the same key makes a new version."""

    queryset = ChecklistVersion.objects.all()
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["key", "media_type", "builtin"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ChecklistVersionDetailSerializer
        if self.action == "create":
            return ChecklistUploadSerializer
        return ChecklistVersionSerializer

    @extend_schema(
        request={"multipart/form-data": ChecklistUploadSerializer, "application/json": ChecklistUploadSerializer},
        responses={201: ChecklistVersionDetailSerializer, 200: ChecklistVersionDetailSerializer},
        description="Load a checklist from a YAML or JSON file. Every problem is reported with its path "
        "in the file. Identical content returns the existing version (200).",
    )
    def create(self, request):
        if not perms.can_load_checklists(request.user):
            raise PermissionDenied("Only admins can load checklists.")
        content, filename = _checklist_upload(request)
        checklist = _parse_or_400(content, filename)
        version, created = load_checklist_version(checklist, user=request.user, source_name=filename)
        data = ChecklistVersionDetailSerializer(version, context={"request": request}).data
        if not created:
            data = {**data, "detail": f"identical to the existing {version}; nothing new was created"}
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request={"multipart/form-data": ChecklistUploadSerializer, "application/json": ChecklistUploadSerializer},
        responses={
            200: inline_serializer(
                "ChecklistPreview",
                {
                    "filename": serializers.CharField(),
                    "key": serializers.CharField(),
                    "title": serializers.CharField(),
                    "media_type": serializers.CharField(),
                    "content_hash": serializers.CharField(),
                    "question_count": serializers.IntegerField(),
                    "sub_dimension_count": serializers.IntegerField(),
                    "definition": serializers.JSONField(),
                    "questions": serializers.ListField(child=serializers.DictField()),
                    "existing": serializers.DictField(allow_null=True),
                    "version": serializers.IntegerField(),
                },
            )
        },
        description="Dry run of `POST /api/checklists/`: the same upload forms and the same 400 with every "
        "problem (path, message, line and column in the file), but nothing is saved. A valid file answers "
        "its preview (dimensions, sub-dimensions, options, questions) and the stored version it is "
        "identical to, if any.",
    )
    @action(detail=False, methods=["post"])
    def validate(self, request):
        if not perms.can_load_checklists(request.user):
            raise PermissionDenied("Only admins can load checklists.")
        content, filename = _checklist_upload(request)
        checklist = _parse_or_400(content, filename)
        return Response(checklist_preview(checklist, filename))


def _checklist_upload(request) -> tuple[str | bytes, str]:
    upload = ChecklistUploadSerializer(data=request.data)
    upload.is_valid(raise_exception=True)
    if upload.validated_data.get("file"):
        fh = upload.validated_data["file"]
        if fh.size > MAX_CHECKLIST_BYTES:
            raise ValidationError({"file": f"the file is {fh.size} bytes; a checklist is at most 2 MB"})
        return fh.read(), fh.name
    content = upload.validated_data["content"]
    if len(content.encode("utf-8", "surrogatepass")) > MAX_CHECKLIST_BYTES:
        raise ValidationError({"content": "the text is over 2 MB; a checklist is at most 2 MB"})
    return content, upload.validated_data["filename"]


def _parse_or_400(content: str | bytes, filename: str):
    """The checklist of an upload, or a 400 listing every problem with its path and line."""
    try:
        return parse_checklist(content, filename)
    except ChecklistError as exc:
        located = locate_problems(exc.problems, content, filename)
        problems = [{"path": p.path, "message": p.message, "line": p.line, "column": p.column} for p in located]
        summary = "; ".join(
            f"{p['path'] or filename}" + (f" (line {p['line']})" if p["line"] else "") + f": {p['message']}"
            for p in problems[:5]
        )
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise ChecklistProblems(
            {"detail": f"{filename} has {len(problems)} problem(s): {summary}{more}", "errors": {"file": problems}}
        ) from None


class ChecklistProblems(ValidationError):
    """A 400 listing a checklist file's problems, their line and column kept as numbers."""

    def __init__(self, body: dict):
        super().__init__()
        self.detail = body


# --- projects ---------------------------------------------------------------------------


class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Projects: a media type, a checklist version, the overlap k and instructions."""

    serializer_class = ProjectSerializer
    filterset_fields = ["media_type", "archived"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no URL kwargs
            return Project.objects.none()
        user = self.request.user
        role = Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]

        def count(queryset):
            # One correlated COUNT per row, so the list stays one query however many projects.
            counted = queryset.order_by().values("project").annotate(n=Count("pk")).values("n")
            return Coalesce(Subquery(counted), 0)

        mine = Assignment.objects.filter(project=OuterRef("pk"), user=user)
        had = Assignment.objects.filter(task=OuterRef("pk"), user=user)
        return (
            perms.visible_projects(user)
            .select_related("checklist_version")
            .annotate(
                user_role=Subquery(role),
                my_done=count(mine.filter(state=Assignment.State.SUBMITTED)),
                my_assigned=count(mine.filter(state=Assignment.State.ACTIVE)),
                my_open=count(Task.objects.filter(project=OuterRef("pk"), status=Task.Status.OPEN).filter(~Exists(had)))
                + count(claim_service.unseen_gold_checks(OuterRef("pk"), user)),
            )
            .distinct()
        )

    def perform_create(self, serializer):
        user = self.request.user
        if not (user.is_staff or user.has_perm("annotator.add_project")):
            raise PermissionDenied("Only admins and users allowed to create projects can create one.")
        with transaction.atomic():
            project = serializer.save(created_by=user)
            Membership.objects.create(project=project, user=user, role=Membership.Role.MANAGER)

    def perform_update(self, serializer):
        project = serializer.instance
        if not perms.can_manage(self.request.user, project):
            raise PermissionDenied("Only the project's managers can edit it.")
        old_overlap, old_pairs = project.overlap, project.pair_tasks
        with transaction.atomic():
            project = serializer.save()
            if project.overlap != old_overlap:
                _apply_overlap(project)
            if project.pair_tasks and not old_pairs:
                make_project_pairs(project)

    @extend_schema(
        responses=inline_serializer(
            "ProjectProgress",
            {
                "tasks": serializers.DictField(),
                "assets": serializers.DictField(),
                "annotations": serializers.IntegerField(),
                "mine": serializers.DictField(),
            },
        )
    )
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Counts for the project and for the requesting user (done / assigned / remaining)."""
        project = self.get_object()
        tasks = Task.objects.filter(project=project).aggregate(
            total=Count("id"),
            open=Count("id", filter=Q(status=Task.Status.OPEN)),
            full=Count("id", filter=Q(status=Task.Status.FULL)),
            done=Count("id", filter=Q(status=Task.Status.DONE)),
            pairs=Count("id", filter=Q(kind=Task.Kind.PAIR)),
        )
        assets = Asset.objects.filter(project=project).aggregate(
            total=Count("id"),
            ready=Count("id", filter=Q(status=Asset.Status.READY)),
            failed=Count("id", filter=Q(status=Asset.Status.FAILED)),
        )
        mine = Assignment.objects.filter(project=project, user=request.user).aggregate(
            done=Count("id", filter=Q(state=Assignment.State.SUBMITTED)),
            assigned=Count("id", filter=Q(state=Assignment.State.ACTIVE)),
            skipped=Count("id", filter=Q(state=Assignment.State.SKIPPED)),
        )
        had = Assignment.objects.filter(project=project, user=request.user).values("task_id")
        mine["remaining"] = (
            Task.objects.filter(project=project, status=Task.Status.OPEN).exclude(pk__in=had).count()
            + claim_service.unseen_gold_checks(project, request.user).count()
            if perms.can_annotate(request.user, project)
            else 0
        )
        return Response(
            {
                "tasks": tasks,
                "assets": assets,
                "annotations": Annotation.objects.filter(project=project).count(),
                "mine": mine,
            }
        )

    @extend_schema(
        request=NextTaskSerializer,
        responses={
            200: AssignmentSerializer,
            204: OpenApiResponse(description="No task left for you."),
            409: OpenApiResponse(description="You already hold the most live assignments allowed (prefetch cap)."),
        },
    )
    @action(detail=True, methods=["post"], url_path="tasks/next")
    def next_task(self, request, pk=None):
        """Claim the next task: a lease on one of its k slots (your live one first).

        Send ``{"exclude": [assignment ids]}`` to skip assignments you already hold and lease
        the following task in advance (at most two live assignments per project)."""
        project = self.get_object()
        if not perms.can_annotate(request.user, project):
            raise PermissionDenied("Your role in this project does not annotate.")
        if project.archived:
            raise ValidationError({"project": "the project is archived"})
        body = NextTaskSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        assignment = claim_service.claim_next(request.user, project, exclude=body.validated_data["exclude"])
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(AssignmentSerializer(assignment, context={"request": request}).data)

    @extend_schema(request=PairCreateSerializer, responses={201: TaskSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def pairs(self, request, pk=None):
        """Create pair tasks (two assets of the same prompt), explicit or automatic."""
        project = self.get_object()
        if not perms.can_manage(request.user, project):
            raise PermissionDenied("Only the project's managers can create pairs.")
        body = PairCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("auto"):
            pairs = auto_pairs(project, max_pairs_per_prompt=data["max_pairs_per_prompt"], seed=data["seed"])
        else:
            pairs = [tuple(p) for p in data["pairs"]]
        try:
            tasks = create_pairs(project, pairs)
        except PairError as exc:
            raise ValidationError({"pairs": exc.errors})
        return Response(TaskSerializer(tasks, many=True, context={"request": request}).data, status=201)

    @extend_schema(
        request=inline_serializer(
            "ChecklistChange",
            {"checklist_version": serializers.IntegerField(), "confirm": serializers.BooleanField(default=False)},
        ),
        responses={200: OpenApiResponse(description="What the change does (applied: false) or did (applied: true).")},
    )
    @action(detail=True, methods=["post"], url_path="checklist")
    def change_checklist(self, request, pk=None):
        """Change the project's checklist version. ``confirm: false`` only answers what would happen
        to the annotations, tasks, drafts, gold checks, predictions and weight sets; ``confirm: true``
        makes the change, in one transaction, and answers the same account."""
        project = self.get_object()
        if not perms.can_manage(request.user, project):
            raise PermissionDenied("Only the project's managers can change its checklist.")
        body = ChecklistChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = ChecklistVersion.objects.filter(pk=body.validated_data["checklist_version"]).first()
        if version is None:
            raise ValidationError(
                {"checklist_version": f"no checklist version {body.validated_data['checklist_version']}"}
            )
        try:
            result = change_checklist(project, version, confirm=body.validated_data["confirm"])
        except ChecklistChangeError as exc:
            raise ValidationError(exc.errors) from None
        return Response(result)


class ChecklistChangeSerializer(serializers.Serializer):
    checklist_version = serializers.IntegerField()
    confirm = serializers.BooleanField(default=False)


def _apply_overlap(project: Project) -> None:
    """A changed k applies to every unfinished task (never below the slots already taken, plus
    the annotators added for disagreement); gold checks keep their own slots."""
    from django.db.models import F
    from django.db.models.functions import Greatest

    unfinished = Task.objects.filter(project=project).exclude(status__in=[Task.Status.DONE, Task.Status.DISABLED])
    unfinished = unfinished.filter(gold_check__isnull=True)
    unfinished.update(required=Greatest(F("assigned_count"), F("extra_annotators") + project.overlap))
    for status_value, condition in (
        (Task.Status.DONE, Q(submitted_count__gte=F("required"))),
        (Task.Status.FULL, Q(assigned_count__gte=F("required"), submitted_count__lt=F("required"))),
        (Task.Status.OPEN, Q(assigned_count__lt=F("required"))),
    ):
        unfinished.filter(condition).update(status=status_value)


class MembershipViewSet(viewsets.ModelViewSet):
    """Members of a project and their role (annotator, reviewer, manager, researcher)."""

    serializer_class = MembershipSerializer
    http_method_names = ["get", "post", "patch", "delete"]

    def get_project(self) -> Project:
        project = get_visible_project(self.request.user, self.kwargs["project_pk"])
        if self.request.method != "GET" and not perms.can_manage(self.request.user, project):
            raise PermissionDenied("Only the project's managers can change its members.")
        return project

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no URL kwargs
            return Membership.objects.none()
        return member_service.with_activity(Membership.objects.filter(project=self.get_project()))

    def create(self, request, *args, **kwargs):
        """Add an existing user by username with a role (400 when they are a member already)."""
        project = self.get_project()
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = body.validated_data["user"]
        if Membership.objects.filter(project=project, user=user).exists():
            raise ValidationError({"username": f"{user.username} is already a member; change their role instead"})
        membership = body.save(project=project)
        out = self.get_serializer(self.get_queryset().get(pk=membership.pk)).data
        return Response(out, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        """Change a member's role (400 naming `role` when they are the project's last manager)."""
        membership = self.get_object()
        body = self.get_serializer(membership, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        if "role" in body.validated_data:
            try:
                member_service.change_role(membership, body.validated_data["role"])
            except member_service.MemberError as exc:
                raise ValidationError({exc.field: [exc.message]}) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=membership.pk)).data)

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Removed: their live leases went back to the queue."),
            400: OpenApiResponse(description="The project's last manager (`username`)."),
        }
    )
    def destroy(self, request, *args, **kwargs):
        """Remove a member: they lose access to the project, their live leases go back to the queue
        (unsubmitted drafts with them); their submitted annotations stay."""
        try:
            member_service.remove(self.get_object())
        except member_service.MemberError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- assets and their files -------------------------------------------------------------


class AssetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imported assets with their probe results, failure reasons and file URLs."""

    serializer_class = AssetSerializer
    filterset_fields = ["project", "status", "kind", "import_job_id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no URL kwargs
            return Asset.objects.none()
        return Asset.objects.filter(project__in=perms.visible_projects(self.request.user)).order_by("id")


class ProjectAssetViewSet(AssetViewSet):
    """A project's assets; ``?ordering=-id`` lists the newest first (``id``, ``created_at``,
    ``original_name``, ``status``; the default is ``id``)."""

    filterset_fields = ["status", "kind", "import_job_id"]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["id", "created_at", "original_name", "status"]
    ordering = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no URL kwargs
            return Asset.objects.none()
        project = get_visible_project(self.request.user, self.kwargs["project_pk"])
        return Asset.objects.filter(project=project).order_by("id")


class AssetFileView(APIView):
    """One file of an asset (original, display, poster, thumbnail, frames/<n>), with Range support."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The file."),
            302: OpenApiResponse(description="VR_STORAGE=s3: a short-lived presigned URL of the file in the bucket."),
        }
    )
    def get(self, request, pk: int, name: str):
        asset = get_object_or_404(Asset.objects.select_related("project"), pk=pk)
        if not perms.is_member(request.user, asset.project):
            raise Http404
        files = asset.files or {}
        if name in ("original", "display", "poster", "thumbnail"):
            relative = files.get(name)
        elif name.startswith("frames/") and name[7:].isdecimal():  # isdigit() admits "²"; int() not
            frames = files.get("frames") or []
            index = int(name[7:])
            relative = frames[index]["file"] if index < len(frames) else None
        else:
            relative = None
        if not relative:
            raise Http404
        # Raster images and videos inline; anything else (legacy SVG, HTML, ...) only as a download.
        download_name = _download_name(asset.original_name, str(relative)) if name == "original" else ""
        return stored_file_response(request, media_storage(), str(relative), download_name=download_name)


def _download_name(original_name: str, stored: str) -> str:
    """The uploaded file's own name (its last part), with the stored file's extension."""
    path = PurePosixPath(stored.replace("\\", "/"))
    stem = PurePosixPath(original_name.replace("\\", "/")).stem[:200] if original_name else ""
    return f"{stem or path.stem}{path.suffix}"


# --- tasks, assignments and annotations -------------------------------------------------


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tasks of a project. Reviewers, managers and researchers see all; annotators their own."""

    serializer_class = TaskSerializer
    filterset_fields = ["status", "kind"]
    lookup_value_regex = r"\d+"

    def filter_queryset(self, queryset):
        # Annotators see no queue status (a gold check's differs from a normal task's).
        if "status" in self.request.query_params and not perms.can_read_all_annotations(
            self.request.user, int(self.kwargs["project_pk"])
        ):
            raise ValidationError({"status": "only reviewers, managers and researchers can filter tasks by status"})
        return super().filter_queryset(queryset)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no URL kwargs
            return Task.objects.none()
        project = get_visible_project(self.request.user, self.kwargs["project_pk"])
        tasks = Task.objects.filter(project=project).select_related("asset", "asset_b").order_by("id")
        if not perms.can_read_all_annotations(self.request.user, project):
            tasks = tasks.filter(assignments__user=self.request.user)
        return tasks


class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your assignments (leases on tasks): autosave drafts, submit, skip, keep the lease alive."""

    serializer_class = AssignmentSerializer
    filterset_fields = ["project", "state"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no URL kwargs
            return Assignment.objects.none()
        return (
            Assignment.objects.filter(user=self.request.user)
            .select_related("task__asset", "task__asset_b", "project", "annotation")
            .order_by("-leased_at", "-id")
        )

    @extend_schema(request=None, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def heartbeat(self, request, pk=None):
        """Renew the lease while the annotator is working."""
        assignment = claim_service.renew(self.get_object())
        return Response(AssignmentSerializer(assignment, context={"request": request}).data)

    @extend_schema(request=AnswerSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["put"])
    def draft(self, request, pk=None):
        """Autosave unsubmitted answers (partial answers are fine; unknown keys and codes are not)."""
        body = AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = answer_service.save_draft(self.get_object(), AnswerPayload(**body.validated_data))
        return Response(AssignmentSerializer(assignment, context={"request": request}).data)

    @extend_schema(request=SubmitSerializer, responses={201: AnnotationSerializer, 200: AnnotationSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the answers. Idempotent by ``client_id``: a retry returns the same annotation (200)."""
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        client_id = data.pop("client_id")
        annotation, created = answer_service.submit(self.get_object(), AnswerPayload(**data), client_id)
        return Response(
            AnnotationSerializer(annotation, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=SkipSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        """Give the task back with a reason; you will not get it again."""
        body = SkipSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = answer_service.skip(self.get_object(), body.validated_data["reason"])
        return Response(AssignmentSerializer(assignment, context={"request": request}).data)


class AnnotationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Submitted annotations: your own, or all of a project for reviewers, managers, researchers."""

    filterset_fields = ["project", "task", "state", "user"]
    http_method_names = ["get", "put", "post"]

    def get_serializer_class(self):
        if self.action in ("retrieve", "update"):
            return AnnotationDetailSerializer
        return AnnotationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no URL kwargs
            return Annotation.objects.none()
        user = self.request.user
        readable = Q(user=user)
        if user.is_staff:
            readable = Q()
        else:
            roles = perms.READ_ALL_ANNOTATIONS
            readable |= Q(project__memberships__user=user, project__memberships__role__in=roles)
        return (
            Annotation.objects.filter(readable)
            .select_related("user", "checklist_version")
            .prefetch_related("revisions")
            .distinct()
            .order_by("-submitted_at", "-id")
        )

    @extend_schema(request=SubmitSerializer, responses={200: AnnotationDetailSerializer})
    def update(self, request, pk=None):
        """Revise your own annotation until it is reviewed; every revision is kept."""
        annotation = self.get_object()
        if annotation.user_id != request.user.pk:
            raise PermissionDenied("Only the annotator who made it can revise an annotation.")
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        client_id = data.pop("client_id")
        annotation, _ = answer_service.revise(annotation, AnswerPayload(**data), client_id, request.user)
        annotation = self.get_queryset().get(pk=annotation.pk)
        return Response(AnnotationDetailSerializer(annotation, context={"request": request}).data)

    @extend_schema(request=None, responses=AnnotationDetailSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Accept the annotation as reviewed (reviewers and managers)."""
        annotation = self.get_object()
        if not perms.can_review(request.user, annotation.project_id):
            raise PermissionDenied("Only reviewers and managers of the project can review.")
        annotation = review_service.review_annotation(annotation, request.user)
        annotation = self.get_queryset().get(pk=annotation.pk)
        return Response(AnnotationDetailSerializer(annotation, context={"request": request}).data)
