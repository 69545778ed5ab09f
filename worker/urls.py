"""The worker side's API, one block per capability package (each owns its views)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .archives import views as archives
from .exports import views as exports
from .imports import dataset_views, uploads_views
from .imports import views as imports
from .jobs import views as jobs
from .prefill import views as prefill
from .research import views as research
from .weights import views as weights

router = DefaultRouter()
router.include_root_view = False
router.register("jobs", jobs.JobViewSet, basename="job")
router.register("models", prefill.ModelSpecViewSet, basename="model")

urlpatterns = [
    path("storage/", uploads_views.StorageView.as_view(), name="storage"),
    path("projects/<int:project_id>/uploads/", uploads_views.UploadListView.as_view(), name="project-uploads"),
    path(
        "projects/<int:project_id>/uploads/<str:upload_id>/",
        uploads_views.UploadDetailView.as_view(),
        name="project-upload",
    ),
    path(
        "projects/<int:project_id>/uploads/<str:upload_id>/complete/",
        uploads_views.UploadCompleteView.as_view(),
        name="project-upload-complete",
    ),
    path("projects/<int:project_id>/imports/", imports.ImportView.as_view(), name="project-import"),
    path(
        "projects/<int:project_id>/imports/bucket/",
        imports.BucketImportView.as_view(),
        name="project-import-bucket",
    ),
    path(
        "projects/<int:project_id>/imports/label-studio/",
        imports.LabelStudioImportView.as_view(),
        name="project-import-label-studio",
    ),
    *[
        path(
            f"projects/<int:project_id>/imports/{mode}/{end}",
            view.as_view(mode=kind),
            name=f"project-import-{mode}{name}",
        )
        for mode, kind in (("huggingface", "assets"), ("pairs", "pairs"))
        for end, view, name in (
            ("", dataset_views.DatasetImportView, ""),
            ("preview/", dataset_views.DatasetPreviewView, "-preview"),
        )
    ],
    path("projects/<int:project_id>/prefill/", prefill.PrefillView.as_view(), name="project-prefill"),
    path("projects/<int:project_id>/model/", prefill.ProjectModelView.as_view(), name="project-model"),
    path("projects/<int:project_id>/weight-sets/", weights.WeightSetListView.as_view(), name="weight-sets"),
    path(
        "projects/<int:project_id>/weight-sets/<int:weight_set_id>/",
        weights.WeightSetDetailView.as_view(),
        name="weight-set",
    ),
    path(
        "projects/<int:project_id>/weight-sets/<int:weight_set_id>/promote/",
        weights.WeightSetPromoteView.as_view(),
        name="weight-set-promote",
    ),
    path(
        "projects/<int:project_id>/weight-sets/<int:weight_set_id>/retire/",
        weights.WeightSetRetireView.as_view(),
        name="weight-set-retire",
    ),
    path("projects/<int:project_id>/refit/", weights.RefitView.as_view(), name="project-refit"),
    path(
        "projects/<int:project_id>/refit/readiness/",
        weights.RefitReadinessView.as_view(),
        name="project-refit-readiness",
    ),
    path("projects/<int:project_id>/refit-policy/", weights.RefitPolicyView.as_view(), name="refit-policy"),
    path("projects/<int:project_id>/scores/", weights.ScoresView.as_view(), name="project-scores"),
    path(
        "projects/<int:project_id>/assets/<int:asset_id>/score/",
        weights.AssetScoreView.as_view(),
        name="asset-score",
    ),
    path("projects/<int:project_id>/compare/", weights.CompareView.as_view(), name="project-compare"),
    path("exports/", exports.ExportView.as_view(), name="exports"),
    path(
        "projects/<int:project_id>/datasets/dominance-stats/",
        exports.DominanceStatsView.as_view(),
        name="project-dominance-stats",
    ),
    path("dataset-versions/<int:pk>/push/", exports.PushView.as_view(), name="dataset-version-push"),
    path("dataset-versions/<int:pk>/download/", archives.DownloadView.as_view(), name="dataset-version-download"),
    path("dataset-versions/<int:pk>/archives/", archives.ArchiveView.as_view(), name="dataset-version-archive"),
    path("finetune/", research.FinetuneView.as_view(), name="finetune"),
    path("evaluate/", research.EvaluateView.as_view(), name="evaluate"),
    path("evaluations/", research.EvaluationListView.as_view(), name="evaluations"),
    path("", include(router.urls)),
]
