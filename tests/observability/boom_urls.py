"""The platform's URLs and one view that raises: an unexpected server error for the Sentry test."""

from django.urls import path

from config.urls import urlpatterns as platform


class BoomError(RuntimeError):
    pass


def boom(request):
    raise BoomError("the sentry test's deliberate error")


urlpatterns = [path("boom/", boom), *platform]
