"""Fetching the next task ahead: POST tasks/next/ with {"exclude": [ids]}, capped at two live leases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotator.models import Assignment, Task
from annotator.services.claims import MAX_LIVE_ASSIGNMENTS, claim_next
from annotator.services.errors import AssignmentError
from tests.factories import api, project, ready_asset, user

pytestmark = pytest.mark.django_db


def next_task(client, p, body=None):
    if body is None:
        return client.post(f"/api/projects/{p.pk}/tasks/next/")
    return client.post(f"/api/projects/{p.pk}/tasks/next/", body, format="json")


@pytest.fixture
def setup():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    assets = [ready_asset(p, name=f"{i}.jpg") for i in range(4)]
    return p, ann, api(ann), assets


def test_excluding_the_current_assignment_leases_the_following_task(setup):
    p, ann, client, assets = setup
    current = next_task(client, p).json()
    ahead = next_task(client, p, {"exclude": [current["id"]]})
    assert ahead.status_code == 200, ahead.content
    body = ahead.json()
    assert body["id"] != current["id"] and body["state"] == "active"
    assert body["task"]["asset"]["id"] == assets[1].pk
    assert current["task"]["asset"]["id"] == assets[0].pk
    assert Assignment.objects.filter(user=ann, state="active").count() == 2


def test_asking_again_returns_the_same_prefetched_assignment(setup):
    p, ann, client, assets = setup
    current = next_task(client, p).json()
    ahead = next_task(client, p, {"exclude": [current["id"]]}).json()
    again = next_task(client, p, {"exclude": [current["id"]]}).json()
    assert again["id"] == ahead["id"]
    # without a body the oldest live lease comes back first, as before
    assert next_task(client, p).json()["id"] == current["id"]


def test_the_cap_refuses_a_third_live_assignment_with_409(setup):
    p, ann, client, assets = setup
    first = next_task(client, p).json()
    second = next_task(client, p, {"exclude": [first["id"]]}).json()
    response = next_task(client, p, {"exclude": [first["id"], second["id"]]})
    assert response.status_code == 409
    assert "at most 2" in response.json()["detail"]
    assert Assignment.objects.filter(user=ann).count() == 2
    assert sum(Task.objects.values_list("assigned_count", flat=True)) == 2  # nothing half-taken


def test_after_submitting_one_the_next_prefetch_is_allowed(setup):
    p, ann, client, assets = setup
    first = next_task(client, p).json()
    second = next_task(client, p, {"exclude": [first["id"]]}).json()
    client.post(f"/api/assignments/{first['id']}/skip/", {"reason": "broken"}, format="json")
    # the prefetched one is now the current one; fetch the one after it
    third = next_task(client, p, {"exclude": [second["id"]]})
    assert third.status_code == 200
    assert third.json()["id"] not in (first["id"], second["id"])


def test_excluding_when_nothing_is_left_answers_204(setup):
    p, ann, client, assets = setup
    ids = []
    for _ in range(len(assets)):
        assignment = next_task(client, p).json()
        Assignment.objects.filter(pk=assignment["id"]).update(state="submitted")
        ids.append(assignment["id"])
    current = ids[-1]
    Assignment.objects.filter(pk=current).update(state="active")
    assert next_task(client, p, {"exclude": [current]}).status_code == 204


def test_an_excluded_lapsed_assignment_is_not_given_back(setup):
    p, ann, client, assets = setup
    current = next_task(client, p).json()
    client.put(f"/api/assignments/{current['id']}/draft/", {"options": {}}, format="json")
    Assignment.objects.filter(pk=current["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1), draft={"options": {"clarity": 1}}
    )
    response = next_task(client, p, {"exclude": [current["id"]]})
    assert response.status_code == 200 and response.json()["id"] != current["id"]
    # without exclude, the lapsed one with its draft comes back (unchanged behaviour)
    Assignment.objects.exclude(pk=current["id"]).update(state="skipped")
    assert next_task(client, p).json()["id"] == current["id"]


@pytest.mark.parametrize(
    "exclude",
    [12, "12", [1, "x"], [True], {"id": 1}, None, [0], list(range(1, 102))],
)
def test_exclude_must_be_a_list_of_assignment_ids(setup, exclude):
    p, ann, client, assets = setup
    response = next_task(client, p, {"exclude": exclude})
    assert response.status_code == 400, response.content
    body = response.json()
    assert "exclude" in body["errors"] and "exclude" in body["detail"]
    assert not Assignment.objects.exists()


def test_no_body_is_unchanged(setup):
    p, ann, client, assets = setup
    first = next_task(client, p)
    assert first.status_code == 200
    assert next_task(client, p).json()["id"] == first.json()["id"]
    assert next_task(client, p, {}).json()["id"] == first.json()["id"]
    assert next_task(client, p, {"exclude": []}).json()["id"] == first.json()["id"]
    assert Assignment.objects.count() == 1


def test_ids_of_other_users_are_ignored(setup):
    p, ann, client, assets = setup
    bob = user("bob")
    p.memberships.create(user=bob, role="annotator")
    mine = next_task(client, p).json()
    bobs = next_task(api(bob), p).json()
    assert next_task(client, p, {"exclude": [bobs["id"]]}).json()["id"] == mine["id"]


def test_service_cap_and_exclude():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    for i in range(3):
        ready_asset(p, name=f"{i}.jpg")
    first = claim_next(ann, p)
    second = claim_next(ann, p, exclude=[first.pk])
    assert second.pk != first.pk and MAX_LIVE_ASSIGNMENTS == 2
    with pytest.raises(AssignmentError) as info:
        claim_next(ann, p, exclude=[first.pk, second.pk])
    assert info.value.status == 409
    assert claim_next(ann, p, exclude=[first.pk]).pk == second.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_of_one_user_never_pass_the_cap():
    import threading

    from django.db import connection

    ann = user("ann")
    p = project(members={ann: "annotator"})
    for i in range(8):
        ready_asset(p, name=f"{i}.jpg")
    first = claim_next(ann, p)
    barrier = threading.Barrier(6)
    results: list = []

    def work():
        try:
            barrier.wait()
            results.append(claim_next(ann, p, exclude=[first.pk]).pk)
        except AssignmentError as exc:
            results.append(exc.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    live = list(Assignment.objects.filter(user=ann, state="active").values_list("pk", flat=True))
    assert len(live) == 2  # the current one and exactly one fetched ahead
    ahead = next(pk for pk in live if pk != first.pk)
    assert results == [ahead] * 6  # every request got the same one
    assert sum(Task.objects.values_list("assigned_count", flat=True)) == 2
