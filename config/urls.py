from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import observability, views

# Redoc injects <style> elements and starts its search worker from a blob: URL; its footer logo
# comes from cdn.redoc.ly (hidden when unreachable). Only this page relaxes the app's CSP so.
REDOC_CSP = {
    "style-src": ["'unsafe-inline'"],
    "worker-src": ["blob:"],
    "img-src": ["https://cdn.redoc.ly"],
}

urlpatterns = [
    path("", views.app, name="home"),
    re_path(
        r"^(?P<path>(?:login|projects|datasets|account|forgot-password|reset-password|invitation)(?:/.*)?)$",
        views.app,
        name="app",
    ),
    path("admin/", admin.site.urls),
    path("metrics", observability.metrics, name="metrics"),
    path("_auth/staff", views.staff_auth, name="staff-auth"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script: see the CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", csp_update(REDOC_CSP)(SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"),
    path("api/auth/", include("rest_framework.urls")),
    path("api/", include("annotator.urls")),
    path("api/", include("worker.urls")),
    path("api/", include("datasets_app.urls")),
]
