from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.include_root_view = False
router.register("jobs", views.JobViewSet, basename="job")

urlpatterns = [
    path("projects/<int:project_id>/imports/", views.ImportView.as_view(), name="project-import"),
    path("", include(router.urls)),
]
