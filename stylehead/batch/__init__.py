"""Many videos in one go: a manifest of jobs, made once each, resumable, spread over processes and machines.

    python -m stylehead batch jobs.csv --output-dir out/
    accelerate launch --multi_gpu --num_processes 4 -m stylehead batch jobs.csv --output-dir out/

    from stylehead.batch import Job, run
    summary = run([Job("me.jpg", "hello.wav", controls={"seed": 1})], "out/")

:mod:`~stylehead.batch.manifest` reads and checks the jobs, :mod:`~stylehead.batch.records` remembers
which are finished and which are being made, :mod:`~stylehead.batch.processes` says which share this
process takes, :mod:`~stylehead.batch.runner` makes them, :mod:`~stylehead.batch.summary` writes what happened.
"""

from stylehead.batch.manifest import Job, PlannedJob, read_manifest
from stylehead.batch.runner import BatchSettings, plan, run
from stylehead.batch.summary import BatchSummary, JobResult

__all__ = ["BatchSettings", "BatchSummary", "Job", "JobResult", "PlannedJob", "plan", "read_manifest", "run"]
