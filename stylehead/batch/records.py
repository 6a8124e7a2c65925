"""What a batch's output folder remembers between runs: which jobs are finished and which are being made.

    out/.stylehead-batch/done/<job id>.json      one record per finished job (hidden name, then linked into place)
    out/.stylehead-batch/claims/<job id>         the job is being made: created exclusively, already locked
    out/.stylehead-batch/attempts/<host>-<pid>.jsonl   each process's trail: which job it started, how it ended

A claim is made by linking a file its process has already locked (``flock``) to the job's name, which
fails when the name is taken: two processes, on one machine or several sharing the folder, never
make the same job. The kernel drops the lock when a process dies, however it dies, so a claim whose
lock can be taken is stale and is taken over, with the dead process's partial files.
"""

import contextlib
import fcntl
import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stylehead.batch.manifest import PlannedJob
from stylehead.media.files import atomic_output

STATE_FOLDER = ".stylehead-batch"


@dataclass(frozen=True)
class DoneRecord:
    """A finished job: its video is complete at ``output`` (relative to the output folder)."""

    id: str
    number: int
    output: str
    bytes: int  # the video's size when it was finished: a different size means someone replaced it
    seconds: float | None  # the time it took to make
    process: int  # the batch process that made it (its index among the launched processes)
    pid: int
    host: str
    finished: float  # Unix time


class Claim:
    """A job being made by this process: the claim file stays locked until :meth:`release`."""

    def __init__(self, path: Path, handle: int, note: dict[str, Any], previous: dict[str, Any] | None):
        self.path, self._handle, self.note = path, handle, note
        self.previous = previous  # a dead process's note, when its stale claim was taken over

    def release(self) -> None:
        if self._handle < 0:
            return
        with contextlib.suppress(FileNotFoundError):
            if os.stat(self.path).st_ino == os.fstat(self._handle).st_ino:
                self.path.unlink()
        os.close(self._handle)
        self._handle = -1

    def __enter__(self) -> "Claim":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class BatchRecords:
    """The ``.stylehead-batch`` folder of one output folder."""

    def __init__(self, output_dir: Path, process: int = 0):
        self.output_dir = Path(output_dir)
        self.root = self.output_dir / STATE_FOLDER
        self.process, self.pid, self.host = process, os.getpid(), socket.gethostname()
        for folder in ("done", "claims", "attempts"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    def finished(self, job: PlannedJob) -> DoneRecord | None:
        """The job's record when its video is still there, complete (the size it was made with); else None."""
        path = self.root / "done" / f"{job.id}.json"
        try:
            record = DoneRecord(**json.loads(path.read_text()))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return None
        output = self.output_dir / record.output
        if not output.is_file() or output.stat().st_size != record.bytes:
            return None  # removed or replaced since: the job is made again
        return record

    def record_done(self, job: PlannedJob, seconds: float | None) -> DoneRecord:
        """Write the job's record (under a hidden name, moved into place whole), its video being in place."""
        record = DoneRecord(job.id, job.number, job.output.relative_to(self.output_dir).as_posix(),
                            job.output.stat().st_size, seconds, self.process, self.pid, self.host,
                            time.time())  # fmt: skip
        with atomic_output(self.root / "done" / f"{job.id}.json", suffix=".json") as partial:
            partial.write_text(json.dumps(asdict(record)))
        return record

    def claim(self, job: PlannedJob) -> Claim | None:
        """Claim the job for this process; None when a live process holds it."""
        path = self.root / "claims" / job.id
        note = {"id": job.id, "number": job.number, "process": self.process, "pid": self.pid, "host": self.host,
                "started": time.time(), "output_before": _identity(job.output)}  # fmt: skip
        mine = path.with_name(f".{job.id}.{uuid.uuid4().hex[:12]}.claim")
        handle = os.open(mine, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(handle, json.dumps(note).encode())
            for _ in range(3):  # a claim released meanwhile: try again
                try:
                    os.link(mine, path)
                    return Claim(path, handle, note, None)
                except FileExistsError:
                    pass
                taken = self._take_over(path, mine)
                if taken is False:
                    break
                if taken is not None:
                    return Claim(path, handle, note, taken)
        except BaseException:
            os.close(handle)
            raise
        finally:
            mine.unlink(missing_ok=True)
        os.close(handle)
        return None

    @staticmethod
    def _take_over(path: Path, mine: Path) -> dict[str, Any] | bool | None:
        """Replace a stale claim at ``path`` with ``mine``: the dead holder's note; False when its holder is alive,
        None when the claim went away meanwhile."""
        try:
            handle = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # its process is working on it
            try:
                if os.stat(path).st_ino != os.fstat(handle).st_ino:
                    return False  # replaced meanwhile by a live claimant
            except FileNotFoundError:
                return None
            try:
                previous = json.loads(os.read(handle, 65536) or b"{}")
            except json.JSONDecodeError:
                previous = {}
            os.replace(mine, path)  # while the stale file is locked by us: nobody else takes it over
            return previous
        finally:
            os.close(handle)

    def adopt(self, job: PlannedJob, note: dict[str, Any]) -> DoneRecord | None:
        """Record a job whose process put its video in place but stopped before recording it (its output is
        not what it was when the claim was made; videos are only ever put in place whole)."""
        if self.finished(job) is not None or not job.output.is_file():
            return None
        if _identity(job.output) == note.get("output_before"):
            return None
        started = note.get("started")
        seconds = job.output.stat().st_mtime - started if isinstance(started, (int, float)) else None
        record = self.record_done(job, seconds)
        self.log(job, "done", seconds=seconds, adopted=True)
        return record

    def remove_partials(self, job: PlannedJob) -> None:
        """Remove what a dead process left of the job's video (``.<name>.<hex>.partial.mp4`` beside it)."""
        folder, stem = job.output.parent, job.output.stem
        if not folder.is_dir():
            return
        for path in folder.iterdir():
            if path.name.startswith(f".{stem}.") and path.name.endswith(f".partial{job.output.suffix}"):
                path.unlink(missing_ok=True)

    def log(self, job: PlannedJob, event: str, **extra: Any) -> None:
        """Append one line to this process's trail (one write: whole lines even if several runs share a host)."""
        line = json.dumps({"event": event, "number": job.number, "id": job.id, "process": self.process,
                           "pid": self.pid, "time": time.time(), **extra})  # fmt: skip
        handle = os.open(self.root / "attempts" / f"{self.host}-{self.pid}.jsonl",
                         os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o644)  # fmt: skip
        try:
            os.write(handle, (line + "\n").encode())
        finally:
            os.close(handle)


def _identity(path: Path | None) -> list[int] | None:
    """(inode, modification time in ns) of a file, or None when there is none: tells a new file from the old."""
    try:
        stat = os.stat(path)
    except (FileNotFoundError, TypeError):
        return None
    return [stat.st_ino, stat.st_mtime_ns]
