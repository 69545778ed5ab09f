"""Model vs human per question in the project statistics: a tiny known case."""

import pytest

from annotator.models import Prediction
from annotator.services.predictions import record_prediction
from annotator.services.stats import project_stats
from tests.api.test_review_gold import annotate, clarity, mini_version
from tests.checklist.helpers import KEYS_IN_ORDER
from tests.factories import api, project, ready_asset, user

pytestmark = pytest.mark.django_db


def p_yes(**values) -> dict:
    return {key: values.get(key, 0.5) for key in KEYS_IN_ORDER}


@pytest.fixture
def case():
    """k = 2. Asset A: a says "very clear", b says "clear"; asset B: a says "blurry"; asset C: a
    says "very clear" but has no prediction of the latest model. Lighting and face: absent."""
    people = {name: user(name) for name in ("a", "b", "boss")}
    version = mini_version()
    p = project(
        overlap=2,
        checklist_version=version,
        members={people["a"]: "annotator", people["b"]: "annotator", people["boss"]: "manager"},
    )
    a, b, c = (ready_asset(p, name=f"{n}.jpg") for n in "ABC")
    record_prediction(c, version, "m1", p_yes(very_clear=1.0))  # an older model
    record_prediction(a, version, "m2", p_yes())  # superseded by the next one
    record_prediction(a, version, "m2", p_yes(very_clear=0.8, clear=0.6, has_light=0.3, face_present=0.1))
    record_prediction(b, version, "m2", p_yes(very_clear=0.4, clear=0.7, has_light=0.0, face_present=0.5))
    for code in (2, 0, 2):
        annotate(people["a"], p, **clarity(code))
    annotate(people["b"], p, **clarity(1))
    return p, people


def test_model_agreement_per_question_on_a_known_case(case):
    p, people = case
    response = api(people["boss"]).get(f"/api/projects/{p.pk}/stats/")
    assert response.status_code == 200, response.content
    agreement = response.json()["model_agreement"]
    assert agreement["model_name"] == "m2"
    rows = {row["key"]: row for row in agreement["questions"]}
    assert [row["key"] for row in agreement["questions"]] == KEYS_IN_ORDER
    assert rows["very_clear"]["text"] == "Is it very clear?"
    # very clear: A yes (0.8 ✓), A no (0.8 ✗), B no (0.4 ✓)
    assert rows["very_clear"]["n"] == 3
    assert rows["very_clear"]["accuracy"] == pytest.approx(2 / 3)
    assert rows["very_clear"]["brier"] == pytest.approx((0.04 + 0.64 + 0.16) / 3)
    assert rows["very_clear"]["mean_p_human"] == pytest.approx((0.8 + 0.2 + 0.6) / 3)
    # clear: A yes (0.6 ✓) twice, B no (0.7 ✗)
    assert (rows["clear"]["n"], rows["clear"]["accuracy"]) == (3, pytest.approx(2 / 3))
    assert rows["clear"]["brier"] == pytest.approx((0.16 + 0.16 + 0.49) / 3)
    assert rows["clear"]["mean_p_human"] == pytest.approx(0.5)
    # no lighting: the model said 0.3, 0.3, 0.0 → all right
    assert rows["has_light"] == {
        **rows["has_light"],
        "n": 3,
        "accuracy": 1.0,
        "brier": pytest.approx(0.06),
        "mean_p_human": pytest.approx(0.8),
    }
    # no face: 0.1 twice (✓), 0.5 on B counts as "yes" (✗)
    assert rows["face_present"]["accuracy"] == pytest.approx(2 / 3)
    assert rows["face_present"]["brier"] == pytest.approx(0.09)
    # never applicable when there is no lighting / no face
    for key in ("good_light", "beautiful_light", "good_face", "eyes_visible"):
        assert rows[key] == {**rows[key], "n": 0, "accuracy": None, "brier": None, "mean_p_human": None}
    assert project_stats(p)["model_agreement"]["questions"][0]["n"] == 3


def test_no_predictions_means_no_model(case):
    p, people = case
    Prediction.objects.all().delete()
    agreement = api(people["boss"]).get(f"/api/projects/{p.pk}/stats/").json()["model_agreement"]
    assert agreement["model_name"] is None
    assert all(row["n"] == 0 and row["accuracy"] is None for row in agreement["questions"])
