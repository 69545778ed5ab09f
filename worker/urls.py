from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views, views_exports, views_research, views_weights

router = DefaultRouter()
router.include_root_view = False
router.register("jobs", views.JobViewSet, basename="job")
router.register("models", views.ModelSpecViewSet, basename="model")

urlpatterns = [
    path("projects/<int:project_id>/imports/", views.ImportView.as_view(), name="project-import"),
    path("projects/<int:project_id>/prefill/", views.PrefillView.as_view(), name="project-prefill"),
    path("projects/<int:project_id>/model/", views.ProjectModelView.as_view(), name="project-model"),
    path("projects/<int:project_id>/weight-sets/", views_weights.WeightSetListView.as_view(), name="weight-sets"),
    path(
        "projects/<int:project_id>/weight-sets/<int:weight_set_id>/",
        views_weights.WeightSetDetailView.as_view(),
        name="weight-set",
    ),
    path(
        "projects/<int:project_id>/weight-sets/<int:weight_set_id>/promote/",
        views_weights.WeightSetPromoteView.as_view(),
        name="weight-set-promote",
    ),
    path(
        "projects/<int:project_id>/weight-sets/<int:weight_set_id>/retire/",
        views_weights.WeightSetRetireView.as_view(),
        name="weight-set-retire",
    ),
    path("projects/<int:project_id>/refit/", views_weights.RefitView.as_view(), name="project-refit"),
    path("projects/<int:project_id>/refit-policy/", views_weights.RefitPolicyView.as_view(), name="refit-policy"),
    path("projects/<int:project_id>/scores/", views_weights.ScoresView.as_view(), name="project-scores"),
    path(
        "projects/<int:project_id>/assets/<int:asset_id>/score/",
        views_weights.AssetScoreView.as_view(),
        name="asset-score",
    ),
    path("projects/<int:project_id>/compare/", views_weights.CompareView.as_view(), name="project-compare"),
    path("exports/", views_exports.ExportView.as_view(), name="exports"),
    path("dataset-versions/<int:pk>/push/", views_exports.PushView.as_view(), name="dataset-version-push"),
    path("finetune/", views_research.FinetuneView.as_view(), name="finetune"),
    path("evaluate/", views_research.EvaluateView.as_view(), name="evaluate"),
    path("evaluations/", views_research.EvaluationListView.as_view(), name="evaluations"),
    path("", include(router.urls)),
]
