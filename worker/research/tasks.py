"""The research job kinds, declared to the runner: fine-tune (on its base model's queue) and
evaluate."""

from worker.jobs import JobKind, register
from worker.models import Job

from . import evaluate, finetune

run_finetune_job = register(
    JobKind(
        name=Job.Kind.FINETUNE,
        task="worker.tasks.run_finetune_job",
        run=finetune.run_finetune,
        description="Run fine-tune job ``job_id``: LoRA on a dataset version, merged into a new model.",
    )
)
run_evaluate_job = register(
    JobKind(
        name=Job.Kind.EVALUATE,
        task="worker.tasks.run_evaluate_job",
        run=evaluate.run_evaluate,
        description="Run evaluate job ``job_id``: a model and/or weight set on a dataset version's test split.",
    )
)
