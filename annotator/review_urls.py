"""Review (gold answers), review items and project statistics routes."""

urlpatterns: list = []
