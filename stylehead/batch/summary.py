"""What a batch did, one row per job, and the two files it is written to (``summary.csv``, ``summary.json``)."""

import csv
import io
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from stylehead.media.files import atomic_output

STATUSES = ("done", "skipped", "failed", "busy")  # made now; made by an earlier run; not made; being made elsewhere
SUMMARY_NAMES = ("summary.csv", "summary.json")


@dataclass(frozen=True)
class JobResult:
    """How one job went."""

    number: int  # 1 for the manifest's first row
    id: str
    status: str  # one of STATUSES
    output: str | None  # the video, relative to the output folder (done and skipped jobs)
    seconds: float | None  # to make it (for a skipped job: when it was made)
    error: str | None  # the one sentence saying why it failed
    image: str | None
    audio: str | None
    style: str | None
    process: int | None  # the batch process that made it or tried to


@dataclass
class BatchSummary:
    """Every job's result, in manifest order, with the batch's own figures."""

    jobs: list[JobResult]
    output_dir: Path
    processes: int  # how many batch processes shared the jobs
    seconds: float  # from the start to the end of this run (the main process's clock)
    files: list[Path] = field(default_factory=list)  # the summary files written

    @property
    def counts(self) -> dict[str, int]:
        return {status: sum(job.status == status for job in self.jobs) for status in STATUSES}

    def failed(self) -> list[JobResult]:
        return [job for job in self.jobs if job.status == "failed"]

    def as_dict(self) -> dict:
        return {"output_dir": str(self.output_dir), "processes": self.processes, "seconds": round(self.seconds, 3),
                "counts": self.counts, "jobs": [asdict(job) for job in self.jobs]}  # fmt: skip

    def write(self) -> list[Path]:
        """Write ``summary.csv`` and ``summary.json`` into the output folder (each whole, replacing the last run's)."""
        table = io.StringIO()
        writer = csv.DictWriter(table, [item.name for item in fields(JobResult)], lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(job) for job in self.jobs)
        texts = (table.getvalue(), json.dumps(self.as_dict(), indent=1))
        self.files = [self.output_dir / name for name in SUMMARY_NAMES]
        for path, text in zip(self.files, texts, strict=True):
            with atomic_output(path) as partial:
                partial.write_text(text)
        return self.files
