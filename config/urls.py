from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", views.app, name="home"),
    re_path(
        r"^(?P<path>(?:login|projects|datasets|forgot-password|reset-password|invitation)(?:/.*)?)$",
        views.app,
        name="app",
    ),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/auth/", include("rest_framework.urls")),
    path("api/", include("annotator.urls")),
    path("api/", include("worker.urls")),
    path("api/", include("datasets_app.urls")),
]
