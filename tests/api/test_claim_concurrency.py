"""Many annotators claiming at once on real PostgreSQL: no task over-assigned, nobody twice."""

import threading
from collections import Counter

import pytest
from django.db import connection

from annotator.models import Assignment, Task
from annotator.services.claims import claim_next
from tests.factories import project, ready_asset, user


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_over_assign():
    annotators = [user(f"u{i}") for i in range(24)]
    p = project(overlap=2, members={u: "annotator" for u in annotators})
    for i in range(10):
        ready_asset(p, name=f"{i}.jpg")
    barrier = threading.Barrier(len(annotators))
    errors: list = []

    def work(u):
        try:
            barrier.wait()
            for _ in range(3):
                claimed = claim_next(u, p)
                if claimed is not None:
                    Assignment.objects.filter(pk=claimed.pk).update(state="submitted")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in annotators]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    per_task = Counter(Assignment.objects.values_list("task_id", flat=True))
    assert len(per_task) == 10 and set(per_task.values()) == {2}  # 20 slots, each taken exactly once
    pairs = Counter(Assignment.objects.values_list("task_id", "user_id"))
    assert max(pairs.values()) == 1
    assert all(t.assigned_count == 2 for t in Task.objects.all())
