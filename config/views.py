from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect


def home(request):
    """Until the annotator app is built the home page is the API reference."""
    return redirect("api-docs")


def healthz(request):
    """Liveness and database readiness, for load balancers and docker-compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # pragma: no cover - reported, not raised
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return HttpResponse("ok", content_type="text/plain")
