"""Adding a member must not reveal which usernames exist: a name nobody has and an account that
cannot be added (inactive) get exactly the same answer, status and body."""

import pytest
from django.contrib.auth import get_user_model

from annotator.models import Membership
from tests.factories import api, project, user

pytestmark = pytest.mark.django_db


def test_unknown_and_ineligible_usernames_get_the_same_answer():
    boss = user("boss")
    p = project(members={boss: Membership.Role.MANAGER})
    get_user_model().objects.create_user("sleeper", password="x", is_active=False)
    url = f"/api/projects/{p.pk}/members/"

    def add(name):
        response = api(boss).post(url, {"username": name, "role": "annotator"}, format="json")
        return response.status_code, response.content.replace(name.encode(), b"NAME")

    unknown, inactive = add("ghost-user"), add("sleeper")
    assert unknown[0] == 400
    assert unknown == inactive
    assert not Membership.objects.filter(user__username="sleeper").exists()
    # an eligible user is added as before
    user("carol")
    assert api(boss).post(url, {"username": "carol", "role": "annotator"}, format="json").status_code == 201
