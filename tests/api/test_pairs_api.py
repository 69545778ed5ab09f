import uuid

import pytest

from annotator.models import Task
from tests.factories import api, project, ready_asset, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    boss, ann = user("boss"), user("ann")
    p = project(members={boss: "manager", ann: "annotator"})
    cat1, cat2, cat3 = (ready_asset(p, prompt="a cat", name=f"cat{i}.jpg") for i in range(3))
    dog = ready_asset(p, prompt="a dog", name="dog.jpg")
    Task.objects.filter(kind="single").update(status="disabled")  # only pairs in the queue
    return p, boss, ann, (cat1, cat2, cat3, dog)


def test_manager_creates_pairs_of_the_same_prompt(setup):
    p, boss, ann, (cat1, cat2, cat3, dog) = setup
    url = f"/api/projects/{p.pk}/pairs/"
    created = api(boss).post(url, {"pairs": [[cat1.pk, cat2.pk]]}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()[0]["kind"] == "pair" and created.json()[0]["asset_b"]["id"] == cat2.pk
    bad = api(boss).post(url, {"pairs": [[cat1.pk, cat3.pk], [cat1.pk, dog.pk], [cat2.pk, cat1.pk]]}, format="json")
    assert bad.status_code == 400
    errors = bad.json()["errors"]["pairs"]
    assert "different prompts" in errors["pairs[1]"] and "already exists" in errors["pairs[2]"]
    assert Task.objects.filter(kind="pair").count() == 1  # all or nothing
    assert api(ann).post(url, {"pairs": [[cat1.pk, cat3.pk]]}, format="json").status_code == 403


def test_auto_pairs_cover_each_prompt_once(setup):
    p, boss, ann, assets = setup
    response = api(boss).post(f"/api/projects/{p.pk}/pairs/", {"auto": "same_prompt"}, format="json")
    assert response.status_code == 201
    assert len(response.json()) == 3  # 3 cat pairs, no lonely dog
    again = api(boss).post(f"/api/projects/{p.pk}/pairs/", {"auto": "same_prompt"}, format="json")
    assert again.status_code == 201 and again.json() == []


@pytest.mark.parametrize("auto", [True, "yes", 1, "same-prompt"])
def test_a_wrong_auto_says_what_auto_takes_and_does(setup, auto):
    p, boss, ann, assets = setup
    response = api(boss).post(f"/api/projects/{p.pk}/pairs/", {"auto": auto}, format="json")
    assert response.status_code == 400
    (message,) = response.json()["errors"]["auto"]
    assert '`auto` takes "same_prompt"' in message and "pairs every two ready assets of the same prompt" in message
    assert "`pairs`" in message  # the other way to make pairs
    assert not Task.objects.filter(kind="pair").exists()


def test_neither_pairs_nor_auto_says_how_to_send_either(setup):
    p, boss, ann, assets = setup
    response = api(boss).post(f"/api/projects/{p.pk}/pairs/", {}, format="json")
    assert response.status_code == 400
    assert '"auto": "same_prompt"' in str(response.json()["errors"]["pairs"])


def test_annotator_rates_a_pair_on_the_1_to_5_scale(setup):
    p, boss, ann, (cat1, cat2, cat3, dog) = setup
    api(boss).post(f"/api/projects/{p.pk}/pairs/", {"pairs": [[cat1.pk, cat2.pk]]}, format="json")
    client = api(ann)
    assignment = client.post(f"/api/projects/{p.pk}/tasks/next/").json()
    assert assignment["task"]["kind"] == "pair"
    url = f"/api/assignments/{assignment['id']}/submit/"
    missing = client.post(url, {"client_id": str(uuid.uuid4())}, format="json")
    assert missing.status_code == 400 and "preference" in missing.json()["errors"]
    out_of_scale = client.post(url, {"client_id": str(uuid.uuid4()), "preference": 6}, format="json")
    assert out_of_scale.status_code == 400 and "preference" in out_of_scale.json()["errors"]
    bad_dimension = client.post(
        url,
        {"client_id": str(uuid.uuid4()), "preference": 2, "dimension_preferences": {"smell": 1}},
        format="json",
    )
    assert "smell" in bad_dimension.json()["errors"]["dimension_preferences"]
    ok = client.post(
        url,
        {"client_id": str(uuid.uuid4()), "preference": 2, "dimension_preferences": {"quality": 1, "fidelity": 3}},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["preference"] == 2 and ok.json()["dimension_preferences"] == {"quality": 1, "fidelity": 3}
    assert ok.json()["answers"] == []
