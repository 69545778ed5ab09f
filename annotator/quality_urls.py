"""Quality-control routes (gold checks)."""

from django.urls import path

from . import views_quality

urlpatterns: list = [
    path(
        "projects/<int:project_pk>/tasks/<int:task_pk>/gold-check/",
        views_quality.GoldCheckView.as_view(),
        name="task-gold-check",
    ),
    path("projects/<int:project_pk>/gold-checks/", views_quality.GoldCheckListView.as_view(), name="gold-check-list"),
]
