"""Browser session login/logout for the single-page app (see ``annotator.auth_views``)."""

from django.urls import path

from . import auth_views

urlpatterns = [
    path("session/", auth_views.SessionView.as_view(), name="auth-session"),
]
