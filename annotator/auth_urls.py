"""Session login/logout, password reset and invitation acceptance (see ``annotator.auth_views``)."""

from django.urls import path

from . import auth_views

urlpatterns = [
    path("session/", auth_views.SessionView.as_view(), name="auth-session"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="auth-password-reset"),
    path("password-reset/confirm/", auth_views.PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"),
    path("invitation/", auth_views.InvitationCheckView.as_view(), name="auth-invitation"),
    path("invitation/accept/", auth_views.InvitationAcceptView.as_view(), name="auth-invitation-accept"),
    path("invitation/join/", auth_views.InvitationJoinView.as_view(), name="auth-invitation-join"),
]
