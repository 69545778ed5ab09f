"""Research jobs: ``POST /api/finetune/`` (LoRA fine-tune a registered model on a dataset
version's ``balanced_qa`` rows → a new registered model), ``POST /api/evaluate/`` (a model and/or
a weight set on a version's held-out split) and ``GET /api/evaluations/?dataset_version=ID``.
See ``docs/research-jobs.md``. Only researchers or managers of all the version's projects (or
staff) may use a version; anything invalid answers 400 naming the field, nothing written."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets_app.views import visible_versions
from worker.jobs.serializers import JobSerializer
from worker.models import Job

from .evaluate import start_evaluate
from .finetune import ResearchRequestError, is_id, start_finetune


class FinetuneRequestSerializer(serializers.Serializer):
    dataset_version = serializers.IntegerField()
    model = serializers.CharField(help_text="The base model's name.")
    name = serializers.CharField(required=False, help_text="The new model's name (a slug); default derived.")
    settings = serializers.DictField(
        required=False,
        help_text="epochs, max_steps, learning_rate, batch_size, lora_r, lora_alpha, lora_dropout, "
        "target_modules, seed",
    )


class EvaluateRequestSerializer(serializers.Serializer):
    dataset_version = serializers.IntegerField()
    model = serializers.CharField(required=False)
    weight_set = serializers.IntegerField(required=False)


class FinetuneView(APIView):
    serializer_class = FinetuneRequestSerializer

    @extend_schema(
        operation_id="finetune_create",
        summary="Fine-tune a model with LoRA on a dataset version (a background job)",
        request=FinetuneRequestSerializer,
        responses={202: JobSerializer, 400: OpenApiResponse(description="`errors` names each bad field.")},
    )
    def post(self, request):
        try:
            job = start_finetune(request.user, request.data)
        except ResearchRequestError as exc:
            raise ValidationError(exc.errors)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class EvaluateView(APIView):
    serializer_class = EvaluateRequestSerializer

    @extend_schema(
        operation_id="evaluate_create",
        summary="Evaluate a model and/or a weight set on a dataset version's test split (a background job)",
        request=EvaluateRequestSerializer,
        responses={202: JobSerializer, 400: OpenApiResponse(description="`errors` names each bad field.")},
    )
    def post(self, request):
        try:
            job = start_evaluate(request.user, request.data)
        except ResearchRequestError as exc:
            raise ValidationError(exc.errors)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class EvaluationListView(APIView):
    @extend_schema(
        operation_id="evaluations_list",
        summary="Succeeded evaluations of a dataset version (newest first)",
        parameters=[OpenApiParameter("dataset_version", int, required=True)],
        responses={200: OpenApiResponse(description="[{job, created_at, finished_at, params, result}]")},
    )
    def get(self, request):
        value = request.query_params.get("dataset_version", "")
        if not is_id(value):
            raise ValidationError({"dataset_version": ["must be the id of a dataset version"]})
        if not visible_versions(request.user).filter(pk=int(value)).exists():
            raise NotFound(f"Dataset version {value} does not exist or you cannot see it.")
        jobs = Job.objects.filter(
            kind=Job.Kind.EVALUATE, state=Job.State.SUCCEEDED, params__dataset_version=int(value)
        ).order_by("-finished_at", "-id")[:200]
        return Response(
            [
                {
                    "job": job.pk,
                    "created_at": job.created_at,
                    "finished_at": job.finished_at,
                    "params": job.params,
                    "result": job.result,
                }
                for job in jobs
            ]
        )
