from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views, views_invitations, views_predictions, views_preferences, views_tokens, views_webhooks

router = DefaultRouter()
router.register("checklists", views.ChecklistViewSet, basename="checklist")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("assets", views.AssetViewSet, basename="asset")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("annotations", views.AnnotationViewSet, basename="annotation")
router.register("invitations", views_invitations.InvitationViewSet, basename="invitation")
router.register("tokens", views_tokens.PersonalTokenViewSet, basename="token")

project_router = DefaultRouter()
project_router.include_root_view = False
project_router.register("members", views.MembershipViewSet, basename="project-member")
project_router.register("assets", views.ProjectAssetViewSet, basename="project-asset")
project_router.register("tasks", views.TaskViewSet, basename="project-task")
project_router.register("predictions", views_predictions.PredictionViewSet, basename="project-prediction")
project_router.register("webhooks", views_webhooks.WebhookViewSet, basename="project-webhook")

webhook_router = DefaultRouter()
webhook_router.include_root_view = False
webhook_router.register("deliveries", views_webhooks.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("auth/", include("annotator.auth_urls")),
    path("me/preferences/", views_preferences.PreferencesView.as_view(), name="my-preferences"),
    path("", include("annotator.review_urls")),
    path("", include("annotator.quality_urls")),
    path("assets/<int:pk>/files/<path:name>", views.AssetFileView.as_view(), name="asset-file"),
    path("projects/<int:project_pk>/webhooks/<int:webhook_pk>/", include(webhook_router.urls)),
    path("projects/<int:project_pk>/", include(project_router.urls)),
    path("", include(router.urls)),
]
