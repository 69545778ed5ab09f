"""Review (gold answers), review items and project statistics routes."""

from django.urls import path

from . import views_review

urlpatterns: list = [
    path(
        "projects/<int:project_pk>/tasks/<int:task_pk>/review/",
        views_review.TaskReviewView.as_view(),
        name="task-review",
    ),
    path(
        "projects/<int:project_pk>/review-items/",
        views_review.ReviewItemViewSet.as_view({"get": "list"}),
        name="review-item-list",
    ),
    path(
        "projects/<int:project_pk>/review-items/<int:task_pk>/",
        views_review.ReviewItemViewSet.as_view({"get": "retrieve"}),
        name="review-item-detail",
    ),
    path("projects/<int:project_pk>/stats/", views_review.ProjectStatsView.as_view(), name="project-stats"),
]
