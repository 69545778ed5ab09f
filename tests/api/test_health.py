import pytest


@pytest.mark.django_db
def test_health_and_schema(client):
    assert client.get("/healthz").content == b"ok"
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi" in response.content


@pytest.mark.django_db
def test_runs_on_postgresql_in_the_suite():
    from django.db import connection

    assert connection.vendor == "postgresql", "the suite must run on PostgreSQL (use `make test`)"
