from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.include_root_view = False
router.register("jobs", views.JobViewSet, basename="job")
router.register("models", views.ModelSpecViewSet, basename="model")

urlpatterns = [
    path("projects/<int:project_id>/imports/", views.ImportView.as_view(), name="project-import"),
    path("projects/<int:project_id>/prefill/", views.PrefillView.as_view(), name="project-prefill"),
    path("projects/<int:project_id>/model/", views.ProjectModelView.as_view(), name="project-model"),
    path("", include(router.urls)),
]
