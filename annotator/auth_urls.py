"""Browser session login/logout (filled in by the session-auth work)."""

urlpatterns: list = []
