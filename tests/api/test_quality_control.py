"""Quality control: gold checks (served unseen at the project's rate), per-annotator accuracy on
gold and agreement with peers in the statistics, and routing disagreeing tasks to one more
annotator."""

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from annotator.models import Annotation, Assignment, GoldCheck, Task
from annotator.services.claims import expire_leases, gold_turn
from tests.api.test_review_gold import REST, clarity, mini_version
from tests.factories import api, claim, keys_of, project, ready_asset, user

pytestmark = pytest.mark.django_db


# --- helpers ----------------------------------------------------------------------------


def submit(who, assignment: dict, options: dict, client_id: str | None = None):
    body = {"client_id": client_id or str(uuid.uuid4()), "options": options}
    return api(who).post(f"/api/assignments/{assignment['id']}/submit/", body, format="json")


def work(who, p, answers: dict | None = None, default: dict | None = None) -> dict:
    """Claim the next task and submit the options ``answers`` gives for its task id (or
    ``default``); the assignment."""
    assignment = claim(who, p)
    assert assignment is not None
    options = (answers or {}).get(assignment["task"]["id"], default or clarity(2)["options"])
    response = submit(who, assignment, options)
    assert response.status_code == 201, response.content
    return assignment


def gold_url(p, task_id) -> str:
    return f"/api/projects/{p.pk}/tasks/{task_id}/gold-check/"


def mark(who, p, task_id, **body):
    return api(who).post(gold_url(p, task_id), body, format="json")


def tasks_of(p) -> list[Task]:
    return list(Task.objects.filter(project=p).order_by("id"))


def counters(task_id) -> tuple:
    task = Task.objects.get(pk=task_id)
    return task.required, task.assigned_count, task.submitted_count, task.status


def team(*, overlap=1, assets=4, rate=None, **kw):
    people = {name: user(name) for name in ("a", "b", "c", "d", "rev", "boss", "res")}
    roles = {"a": "annotator", "b": "annotator", "c": "annotator", "d": "annotator"}
    roles |= {"rev": "reviewer", "boss": "manager", "res": "researcher"}
    if rate is not None:
        kw["gold_check_rate"] = rate
    p = project(
        overlap=overlap,
        checklist_version=mini_version(),
        members={people[n]: r for n, r in roles.items()},
        **kw,
    )
    for i in range(assets):
        ready_asset(p, name=f"{i}.jpg")
    return p, people


# --- serving ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "claims", "expected"),
    [(0.0, 50, 0), (1.0, 7, 7), (0.25, 8, 2), (0.25, 100, 25), (0.1, 100, 10), (0.3, 10, 3), (0.3, 100, 30)],
)
def test_gold_turns_are_exactly_the_rate_of_the_claims(rate, claims, expected):
    for user_pk in range(1, 6):
        who = SimpleNamespace(pk=user_pk)
        p = SimpleNamespace(pk=3, gold_check_rate=rate)
        turns = [gold_turn(p, who, n) for n in range(claims)]
        assert sum(turns) == expected
        assert turns == [gold_turn(p, who, n) for n in range(claims)]  # deterministic


def test_gold_turns_are_spread_evenly_with_a_phase_per_annotator():
    p = SimpleNamespace(pk=9, gold_check_rate=0.25)
    phases = set()
    for user_pk in range(1, 13):
        turns = [gold_turn(p, SimpleNamespace(pk=user_pk), n) for n in range(40)]
        assert all(sum(turns[i : i + 4]) == 1 for i in range(0, 37))  # one in every 4 consecutive claims
        phases.add(turns.index(True))
    assert len(phases) > 1  # annotators cannot tell from the count which claims are gold turns


def test_gold_checks_are_served_at_the_project_rate_to_every_annotator():
    p, people = team(overlap=2, assets=10, rate=0.25)
    tasks = tasks_of(p)
    gold_ids = [t.pk for t in tasks[7:]]
    for task_id in gold_ids:
        response = mark(people["boss"], p, task_id, **clarity(2))
        assert response.status_code == 201, response.content
        # out of the normal queue at once: no free slot, so never open
        assert counters(task_id) == (0, 0, 0, "done")
    for name in ("a", "b"):
        served = [work(people[name], p)["task"]["id"] for _ in range(8)]
        assert [t for t in served if t in gold_ids] == gold_ids[:2], name  # exactly 8 × 0.25, oldest first
        assert [t for t in served if t not in gold_ids] == [t.pk for t in tasks[:6]], name
    # every annotator answered the same two gold checks; each serve had its own slot
    assert counters(gold_ids[0]) == (2, 2, 2, "done") and counters(gold_ids[1]) == (2, 2, 2, "done")
    assert counters(gold_ids[2]) == (0, 0, 0, "done")
    assert {counters(t.pk) for t in tasks[:6]} == {(2, 2, 2, "done")}
    assert counters(tasks[6].pk) == (2, 0, 0, "open")


def test_rate_zero_never_serves_a_gold_check_and_rate_one_serves_them_first():
    p, people = team(overlap=1, assets=4, rate=0.0)
    tasks = tasks_of(p)
    assert mark(people["boss"], p, tasks[0].pk, **clarity(2)).status_code == 201
    served = [work(people["a"], p)["task"]["id"] for _ in range(3)]
    assert served == [t.pk for t in tasks[1:]]
    assert claim(people["a"], p) is None  # the gold check is not served, and not counted as remaining
    assert api(people["a"]).get(f"/api/projects/{p.pk}/progress/").json()["mine"]["remaining"] == 0

    assert api(people["boss"]).patch(f"/api/projects/{p.pk}/", {"gold_check_rate": 1}, format="json").status_code == 200
    assert work(people["b"], p)["task"]["id"] == tasks[0].pk  # gold first at rate 1
    assert claim(people["b"], p) is None  # k = 1: a did all the normal tasks


def test_remaining_counts_include_the_gold_checks_an_annotator_will_get():
    """Whatever the turns, every claim lowers "remaining" by one, gold or not, so the count does
    not tell gold checks apart; with no normal task left, unseen gold checks are still served."""
    p, people = team(overlap=1, assets=5)  # default rate 0.1
    tasks = tasks_of(p)
    for task in tasks[3:]:
        assert mark(people["boss"], p, task.pk, **clarity(2)).status_code == 201
    client = api(people["a"])

    def remaining():
        mine = client.get(f"/api/projects/{p.pk}/progress/").json()["mine"]
        listed = next(x for x in client.get("/api/projects/").json()["results"] if x["id"] == p.pk)
        assert listed["my_progress"]["remaining"] == mine["remaining"]
        return mine["remaining"]

    seen = []
    for left in (5, 4, 3, 2, 1):
        assert remaining() == left
        seen.append(work(people["a"], p)["task"]["id"])
    assert remaining() == 0 and claim(people["a"], p) is None
    assert sorted(seen) == [t.pk for t in tasks]


def test_a_gold_check_takes_no_normal_slot_and_releases_its_own():
    p, people = team(overlap=2, assets=2, rate=1.0)
    normal, other = tasks_of(p)
    # a already annotated the task normally (one of its two slots) before it became a gold check
    assert work(people["a"], p)["task"]["id"] == normal.pk  # no gold check yet: the normal queue
    first = claim(people["b"], p)
    assert first["task"]["id"] == normal.pk
    assert mark(people["boss"], p, normal.pk, **clarity(2)).status_code == 201
    assert counters(normal.pk) == (2, 2, 1, "full")  # b's lease in progress keeps its slot
    assert submit(people["b"], first, clarity(2)["options"]).status_code == 201
    assert counters(normal.pk) == (2, 2, 2, "done")

    c_gold = claim(people["c"], p)
    assert c_gold["task"]["id"] == normal.pk  # a gold check c never had, at rate 1
    assert counters(normal.pk) == (3, 3, 2, "full")
    skipped = api(people["c"]).post(f"/api/assignments/{c_gold['id']}/skip/", {"reason": "unsure"}, format="json")
    assert skipped.status_code == 200
    assert counters(normal.pk) == (2, 2, 2, "done")  # the slot went away with the serve

    d_gold = claim(people["d"], p)
    assert d_gold["task"]["id"] == normal.pk and counters(normal.pk) == (3, 3, 2, "full")
    Assignment.objects.filter(pk=d_gold["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_leases() == 1
    assert counters(normal.pk) == (2, 2, 2, "done")
    # d resumes it (lapsed lease, same task): the slot comes back for them, and the submit counts
    heartbeat = api(people["d"]).post(f"/api/assignments/{d_gold['id']}/heartbeat/")
    assert heartbeat.status_code == 200 and heartbeat.json()["state"] == "active"
    assert counters(normal.pk) == (3, 3, 2, "full")
    assert submit(people["d"], d_gold, clarity(1)["options"]).status_code == 201
    assert counters(normal.pk) == (3, 3, 3, "done")
    assert counters(other.pk) == (2, 0, 0, "open")  # the other task's normal slots are untouched

    # gold-check tasks need no review: they are not pending in the review queue
    pending = api(people["rev"]).get(f"/api/projects/{p.pk}/review-items/").json()["results"]
    assert normal.pk not in [item["task"]["id"] for item in pending]


def test_the_annotator_cannot_tell_a_gold_check_from_a_normal_task():
    p, people = team(overlap=1, assets=2, rate=1.0)
    gold, normal = tasks_of(p)
    assert mark(people["boss"], p, gold.pk, **clarity(2), comment="gold standard").status_code == 201
    served_gold = claim(people["a"], p)
    assert served_gold["task"]["id"] == gold.pk
    assert api(people["boss"]).patch(f"/api/projects/{p.pk}/", {"gold_check_rate": 0}, format="json").status_code == 200
    served_normal = claim(people["b"], p)
    assert served_normal["task"]["id"] == normal.pk

    assert keys_of(served_gold) == keys_of(served_normal)
    for payload in (served_gold, served_normal):
        text = json.dumps(payload).lower()
        assert "gold" not in text and "standard" not in text
        # no queue counters for annotators: a gold check's differ from a normal task's
        assert not {"required", "assigned_count", "submitted_count", "status"} & set(payload["task"])
    same = {k: v for k, v in served_gold["task"].items() if k not in ("id", "asset", "created_at")}
    assert same == {k: v for k, v in served_normal["task"].items() if k not in ("id", "asset", "created_at")}
    assert (served_gold["state"], served_gold["prediction"]) == (served_normal["state"], served_normal["prediction"])

    # the submit answers the same way
    made_gold = submit(people["a"], served_gold, clarity(1)["options"])
    made_normal = submit(people["b"], served_normal, clarity(1)["options"])
    assert made_gold.status_code == made_normal.status_code == 201
    assert keys_of(made_gold.json()) == keys_of(made_normal.json()) and "gold" not in made_gold.content.decode()

    client = api(people["a"])
    # the gold-check endpoints refuse annotators the same way whether or not the task is one
    refused = [client.get(gold_url(p, task.pk)) for task in (gold, normal)]
    assert [r.status_code for r in refused] == [403, 403] and refused[0].json() == refused[1].json()
    assert client.get(f"/api/projects/{p.pk}/gold-checks/").status_code == 403
    assert client.post(gold_url(p, normal.pk), clarity(2), format="json").status_code == 403
    # their task list and assignment list look like any other; no filtering by queue status
    listed = client.get(f"/api/projects/{p.pk}/tasks/").json()["results"]
    assert [t["id"] for t in listed] == [gold.pk] and "status" not in listed[0] and "gold" not in json.dumps(listed)
    by_status = client.get(f"/api/projects/{p.pk}/tasks/", {"status": "done"})
    assert by_status.status_code == 400 and "status" in by_status.json()["errors"]
    mine = client.get("/api/assignments/", {"project": p.pk}).json()["results"]
    assert "gold" not in json.dumps(mine)
    assert client.get(f"/api/projects/{p.pk}/progress/").json()["mine"]["done"] == 1
    # managers see everything
    manager_view = api(people["boss"]).get(f"/api/projects/{p.pk}/tasks/", {"status": "done"}).json()["results"]
    assert {t["id"] for t in manager_view} == {gold.pk, normal.pk}
    assert all("required" in t for t in manager_view)


# --- setting gold checks ------------------------------------------------------------------


def test_setting_replacing_listing_and_removing_a_gold_check():
    p, people = team(overlap=2, assets=2, rate=0.0)
    first, second = tasks_of(p)
    url = gold_url(p, first.pk)
    boss = api(people["boss"])
    created = boss.post(url, {**clarity(2), "comment": "crisp"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["task"] == first.pk and body["asset"] == first.asset_id
    assert body["options"] == {"clarity": 2, "lighting": 1, "face": -1, "eyes": -1}  # eyes implied
    assert body["answers"][:2] == [1, 1] and body["mask"][:4] == [1, 1, 0, 1]
    assert (body["comment"], body["created_by"], body["annotations"]) == ("crisp", "boss", 0)

    replaced = boss.post(url, clarity(1), format="json")
    assert replaced.status_code == 200 and replaced.json()["options"]["clarity"] == 1
    assert GoldCheck.objects.count() == 1 and counters(first.pk) == (0, 0, 0, "done")

    for reader in ("rev", "res", "boss"):
        assert api(people[reader]).get(url).json()["options"]["clarity"] == 1
        listed = api(people[reader]).get(f"/api/projects/{p.pk}/gold-checks/").json()
        assert [g["task"] for g in listed["results"]] == [first.pk]
    assert api(people["rev"]).get(gold_url(p, second.pk)).status_code == 404  # not a gold check
    assert api(people["rev"]).post(url, clarity(2), format="json").status_code == 403  # managers only
    assert api(people["rev"]).delete(url).status_code == 403
    assert api(user("outsider")).get(url).status_code == 404
    assert boss.post(gold_url(p, 999_999), clarity(2), format="json").status_code == 404

    # a reviewed task's gold answer can become the expected answer
    assert boss.post(gold_url(p, second.pk), {"from_gold_answer": True}, format="json").status_code == 400
    assignment = work(people["a"], p, {second.pk: clarity(0)["options"]})
    assert assignment["task"]["id"] == second.pk
    annotation = Annotation.objects.get(assignment_id=assignment["id"])
    review = api(people["rev"]).post(f"/api/projects/{p.pk}/tasks/{second.pk}/review/", {"accept": annotation.pk})
    assert review.status_code == 200
    copied = boss.post(gold_url(p, second.pk), {"from_gold_answer": True}, format="json")
    assert copied.status_code == 201 and copied.json()["options"] == annotation.options
    assert copied.json()["annotations"] == 1
    assert counters(second.pk) == (1, 1, 1, "done")

    assert boss.delete(url).status_code == 204
    assert not GoldCheck.objects.filter(task=first).exists()
    assert counters(first.pk) == (2, 0, 0, "open")  # a normal task again, needing k
    assert boss.delete(url).status_code == 404
    assert boss.delete(gold_url(p, second.pk)).status_code == 204
    assert counters(second.pk) == (2, 1, 1, "open")  # its one annotation stays and counts


def test_bad_gold_checks_answer_400_naming_the_field():
    p, people = team(overlap=1, assets=2)
    first, second = tasks_of(p)
    boss = api(people["boss"])
    url = gold_url(p, first.pk)
    neither = boss.post(url, {}, format="json")
    assert (
        neither.status_code == 400 and "options" in neither.json()["errors"] and "options" in neither.json()["detail"]
    )
    both = boss.post(url, {**clarity(2), "from_gold_answer": True}, format="json")
    assert both.status_code == 400 and "options" in both.json()["errors"]
    wrong_code = boss.post(url, {"options": {"clarity": 5, **REST}}, format="json")
    assert wrong_code.status_code == 400 and "clarity" in wrong_code.json()["errors"]["options"]
    missing = boss.post(url, {"options": dict(REST)}, format="json")
    assert missing.status_code == 400 and "clarity" in missing.json()["errors"]["options"]
    not_a_dict = boss.post(url, {"options": [1, 2]}, format="json")
    assert not_a_dict.status_code == 400 and "options" in not_a_dict.json()["errors"]
    too_long = boss.post(url, {**clarity(2), "comment": "x" * 5001}, format="json")
    assert too_long.status_code == 400 and "comment" in too_long.json()["errors"]
    no_gold = boss.post(url, {"from_gold_answer": True}, format="json")
    assert no_gold.status_code == 400 and "from_gold_answer" in no_gold.json()["errors"]
    pair = Task.objects.create(project=p, kind="pair", asset=first.asset, asset_b=second.asset, required=1)
    refused = boss.post(gold_url(p, pair.pk), clarity(2), format="json")
    assert refused.status_code == 400 and "options" in refused.json()["errors"]  # a pair takes a preference
    Task.objects.filter(pk=second.pk).update(status="disabled")
    disabled = boss.post(gold_url(p, second.pk), clarity(2), format="json")
    assert disabled.status_code == 400 and "task" in disabled.json()["errors"]
    assert not GoldCheck.objects.exists()
    assert counters(first.pk) == (1, 0, 0, "open")


# --- accuracy on gold and agreement with peers ----------------------------------------------

# Expected answers of the second gold check: good lighting opens "lighting beauty".
G2_EXPECTED = {"clarity": 0, "lighting": 3, "light_beauty": 2, "face": -1}


def test_accuracy_on_gold_and_agreement_with_peers_on_a_hand_computed_case():
    """Two normal tasks N1, N2 (k = 2) and two gold checks G1, G2, served first (rate 1).

    Applicable questions (mask) with lighting "no lighting" and no face: very clear, clear, has
    light, face present. G1 expects clarity 2 (yes, yes, no, no); G2 expects ``G2_EXPECTED``:
    very clear no, clear no, good light yes, has light yes, beautiful yes, not ugly yes, face
    present no (7 questions; 5 options with the implied eyes).

    a: G1 clarity 1 → 3/4 answers, 3/4 options; G2 lighting ordinary, beauty plain → good light
       and beautiful wrong: 5/7, options 3/5 (lighting, beauty wrong). Total 8/11 and 6/9.
    b: G1 clarity 2 → 4/4, 4/4; G2 no lighting → good light, has light, beautiful, not ugly
       wrong (not applicable counts as wrong): 3/7, options 3/5. Total 7/11 and 7/9.
    c: G1 clarity 2 → 4/4, 4/4.
    Peers, per task (questions applying to both): N1 a=b (2, 2): 4/4; N2 a 2 vs b 0: 2/4;
    G1 a 1 vs b 2: 3/4, a vs c: 3/4, b vs c: 4/4; G2 a vs b: very clear, clear, face present
    agree, has light differs: 3/4. a: 4+2+3+3+3 = 15/20; b: 4+2+3+3+4 = 16/20; c: 3+4 = 7/8.
    """
    p, people = team(overlap=2, assets=4, rate=1.0)
    n1, n2, g1, g2 = (t.pk for t in tasks_of(p))
    boss = api(people["boss"])
    assert mark(people["boss"], p, g1, **clarity(2)).status_code == 201
    assert mark(people["boss"], p, g2, options=G2_EXPECTED).status_code == 201

    a_answers = {
        g1: clarity(1)["options"],
        g2: {"clarity": 0, "lighting": 2, "light_beauty": 1, "face": -1},
        n1: clarity(2)["options"],
        n2: clarity(2)["options"],
    }
    b_answers = {g1: clarity(2)["options"], g2: clarity(0)["options"], n1: clarity(2)["options"]}
    b_answers[n2] = clarity(0)["options"]
    assert [work(people["a"], p, a_answers)["task"]["id"] for _ in range(4)] == [g1, g2, n1, n2]
    assert [work(people["b"], p, b_answers)["task"]["id"] for _ in range(4)] == [g1, g2, n1, n2]
    assert work(people["c"], p, {g1: clarity(2)["options"]})["task"]["id"] == g1

    stats = boss.get(f"/api/projects/{p.pk}/stats/").json()
    quality = stats["quality"]
    assert {k: v for k, v in quality.items() if k != "annotators"} == {
        "gold_check_rate": 1.0,
        "disagreement_threshold": None,
        "max_extra_annotators": 1,
        "gold_checks": 2,
        "pair_gold_checks": 0,
        "routed_tasks": 0,
    }
    rows = {row["username"]: row for row in quality["annotators"]}
    assert [row["username"] for row in quality["annotators"]] == ["a", "b", "c"]  # those who submitted
    a, b, c = rows["a"], rows["b"], rows["c"]
    assert (a["gold_checks"], a["gold_answers"], a["gold_options"]) == (2, 11, 9)
    assert a["gold_accuracy"] == pytest.approx(8 / 11) and a["gold_option_accuracy"] == pytest.approx(6 / 9)
    assert a["gold_sub_dimensions"] == [
        {"key": "clarity", "title": "Clarity", "n": 2, "accuracy": 0.5},
        {"key": "lighting", "title": "Lighting", "n": 2, "accuracy": 0.5},
        {"key": "light_beauty", "title": "Lighting beauty", "n": 1, "accuracy": 0.0},
        {"key": "face", "title": "Face", "n": 2, "accuracy": 1.0},
        {"key": "eyes", "title": "Eyes", "n": 2, "accuracy": 1.0},
    ]
    assert (b["gold_answers"], b["gold_accuracy"]) == (11, pytest.approx(7 / 11))
    assert b["gold_option_accuracy"] == pytest.approx(7 / 9)
    assert {s["key"]: s["accuracy"] for s in b["gold_sub_dimensions"]}["clarity"] == 1.0
    assert (c["gold_checks"], c["gold_accuracy"], c["gold_option_accuracy"]) == (1, 1.0, 1.0)
    assert (a["peer_answers"], a["peer_agreement"]) == (20, pytest.approx(15 / 20))
    assert (b["peer_answers"], b["peer_agreement"]) == (20, pytest.approx(16 / 20))
    assert (c["peer_answers"], c["peer_agreement"]) == (8, pytest.approx(7 / 8))

    # gold checks are not among the project's tasks in the progress counts
    assert (stats["progress"]["tasks_total"], stats["progress"]["tasks_done"]) == (2, 2)
    assert stats["progress"]["annotations"] == 9


def test_an_annotator_without_gold_checks_or_peers_has_no_figures():
    p, people = team(overlap=1, assets=1)
    work(people["a"], p)
    [row] = api(people["boss"]).get(f"/api/projects/{p.pk}/stats/").json()["quality"]["annotators"]
    assert row == {
        "username": "a",
        "gold_checks": 0,
        "gold_answers": 0,
        "gold_accuracy": None,
        "gold_options": 0,
        "gold_option_accuracy": None,
        "gold_sub_dimensions": [],
        "pair_gold_checks": 0,
        "pair_gold_preferences": 0,
        "pair_gold_agreement": None,
        "pair_gold_dimensions": 0,
        "pair_gold_dimension_agreement": None,
        "peer_answers": 0,
        "peer_agreement": None,
    }


# --- routing disagreements ------------------------------------------------------------------


def test_a_disagreeing_task_gets_one_more_annotator_once():
    """Thresholds: a (clarity 2) and b (clarity 0) differ on 2 of the 4 questions applying to
    both: disagreement 0.5 > 0.2, so the task asks for a third annotator; with c (clarity 1) it
    is 4 differing pairs of 12 = 0.33, still above, but the cap (one extra) is reached."""
    p, people = team(overlap=2, assets=2, disagreement_threshold=0.2)
    disputed, agreed = tasks_of(p)
    work(people["a"], p, default=clarity(2)["options"])
    b_assignment = claim(people["b"], p)
    retry_id = str(uuid.uuid4())
    assert submit(people["b"], b_assignment, clarity(0)["options"], retry_id).status_code == 201
    task = Task.objects.get(pk=disputed.pk)
    assert (task.required, task.extra_annotators, task.status) == (3, 1, "open")
    # a retried submit changes nothing
    assert submit(people["b"], b_assignment, clarity(0)["options"], retry_id).status_code == 200
    assert counters(disputed.pk) == (3, 2, 2, "open")

    # the extra annotator can claim it (it is the oldest open task)
    c_assignment = claim(people["c"], p)
    assert c_assignment["task"]["id"] == disputed.pk
    assert submit(people["c"], c_assignment, clarity(1)["options"]).status_code == 201
    task.refresh_from_db()
    assert (task.required, task.extra_annotators, task.submitted_count, task.status) == (3, 1, 3, "done")
    assert claim(people["d"], p)["task"]["id"] == agreed.pk  # nothing more for the disputed task

    # agreeing annotations complete the task as usual
    work(people["a"], p, default=clarity(1)["options"])
    d_assignment = Assignment.objects.get(user=people["d"], task=agreed)
    assert submit(people["d"], {"id": d_assignment.pk}, clarity(1)["options"]).status_code == 201
    assert counters(agreed.pk) == (2, 2, 2, "done")
    assert Task.objects.get(pk=agreed.pk).extra_annotators == 0
    assert api(people["boss"]).get(f"/api/projects/{p.pk}/stats/").json()["quality"]["routed_tasks"] == 1


@pytest.mark.parametrize(
    ("settings_", "routed"),
    [
        ({}, False),  # off by default
        ({"disagreement_threshold": 0.5}, False),  # 0.5 does not exceed 0.5
        ({"disagreement_threshold": 0.49}, True),
        ({"disagreement_threshold": 0.0, "max_extra_annotators": 0}, False),  # no extra allowed
        ({"disagreement_threshold": 0.0, "max_extra_annotators": 2}, True),
    ],
)
def test_routing_thresholds(settings_, routed):
    p, people = team(overlap=2, assets=1, **settings_)
    [task] = tasks_of(p)
    assert p.disagreement_threshold == settings_.get("disagreement_threshold")
    work(people["a"], p, default=clarity(2)["options"])
    work(people["b"], p, default=clarity(0)["options"])  # disagreement 0.5
    expected = (3, 2, 2, "open") if routed else (2, 2, 2, "done")
    assert counters(task.pk) == expected
    if routed and settings_.get("max_extra_annotators") == 2:
        work(people["c"], p, default=clarity(1)["options"])  # 4 / 12 > 0: a second extra annotator
        assert counters(task.pk) == (4, 3, 3, "open")
        work(people["d"], p, default=clarity(1)["options"])
        assert counters(task.pk) == (4, 4, 4, "done")  # cap of two reached
        assert Task.objects.get(pk=task.pk).extra_annotators == 2


def test_gold_checks_are_never_routed_and_a_changed_k_keeps_the_extra_annotator():
    p, people = team(overlap=2, assets=2, disagreement_threshold=0.0, rate=1.0)
    gold, normal = tasks_of(p)
    assert mark(people["boss"], p, gold.pk, **clarity(2)).status_code == 201
    for name, code in (("a", 2), ("b", 0)):
        assert work(people[name], p, default=clarity(code)["options"])["task"]["id"] == gold.pk
        assert work(people[name], p, default=clarity(code)["options"])["task"]["id"] == normal.pk
    assert counters(gold.pk) == (2, 2, 2, "done")
    assert Task.objects.get(pk=gold.pk).extra_annotators == 0
    assert counters(normal.pk) == (3, 2, 2, "open")
    response = api(people["boss"]).patch(f"/api/projects/{p.pk}/", {"overlap": 3}, format="json")
    assert response.status_code == 200
    assert counters(normal.pk) == (4, 2, 2, "open")  # k = 3 plus the one added for disagreement
    assert counters(gold.pk) == (2, 2, 2, "done")  # gold checks keep their own slots


# --- settings ---------------------------------------------------------------------------------


def test_quality_settings_default_and_bad_values_answer_400_naming_the_field():
    p, people = team(assets=0)
    url = f"/api/projects/{p.pk}/"
    boss = api(people["boss"])
    body = boss.get(url).json()
    assert (body["gold_check_rate"], body["disagreement_threshold"], body["max_extra_annotators"]) == (0.1, None, 1)
    bad = [
        ("gold_check_rate", -0.1),
        ("gold_check_rate", 1.5),
        ("gold_check_rate", "often"),
        ("gold_check_rate", "nan"),
        ("gold_check_rate", None),
        ("disagreement_threshold", 2),
        ("disagreement_threshold", -0.5),
        ("disagreement_threshold", "inf"),
        ("max_extra_annotators", -1),
        ("max_extra_annotators", 11),
        ("max_extra_annotators", 1.5),
    ]
    for field, value in bad:
        response = boss.patch(url, {field: value}, format="json")
        assert response.status_code == 400, (field, value, response.content)
        assert field in response.json()["errors"] and field in response.json()["detail"], (field, value)
    good = {"gold_check_rate": 0.25, "disagreement_threshold": 0.3, "max_extra_annotators": 3}
    response = boss.patch(url, good, format="json")
    assert response.status_code == 200 and {k: response.json()[k] for k in good} == good
    off = boss.patch(url, {"disagreement_threshold": None}, format="json")
    assert off.status_code == 200 and off.json()["disagreement_threshold"] is None
    assert api(people["a"]).patch(url, {"gold_check_rate": 0.5}, format="json").status_code == 403


def test_the_accept_threshold_defaults_to_080_and_managers_set_it_from_half_to_one():
    p, people = team(assets=0)
    url = f"/api/projects/{p.pk}/"
    boss = api(people["boss"])
    assert boss.get(url).json()["accept_threshold"] == 0.8
    assert api(people["a"]).get(url).json()["accept_threshold"] == 0.8  # the annotate screen reads it
    for value in (0.49, 1.01, "sure", None, "nan"):
        response = boss.patch(url, {"accept_threshold": value}, format="json")
        assert response.status_code == 400, (value, response.content)
        assert "accept_threshold" in response.json()["errors"] and "accept_threshold" in response.json()["detail"]
    for value in (0.5, 1, 0.95):
        response = boss.patch(url, {"accept_threshold": value}, format="json")
        assert response.status_code == 200 and response.json()["accept_threshold"] == value
    assert api(people["a"]).patch(url, {"accept_threshold": 0.6}, format="json").status_code == 403
    p.refresh_from_db()
    assert p.accept_threshold == 0.95
