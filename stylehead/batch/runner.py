"""Run a batch: load the models once per process, make this process's share of the jobs, merge every summary.

    from stylehead.batch import run

    summary = run("jobs.csv", "out/")               # or a list of dicts or Job objects
    summary.counts                                   # {'done': 11, 'skipped': 0, 'failed': 1, 'busy': 0}

A job that fails with a one-sentence error (no face, a corrupt file, audio too long, a control out of
range) is recorded and the batch goes on; a finished job is recorded under ``out/.stylehead-batch/``
so that running the same batch again makes only what is missing. Under ``accelerate launch`` each
launched process takes its share (:mod:`stylehead.batch.processes`); ``workers`` starts that many
processes here too. The main process waits for the others and writes ``summary.csv`` and
``summary.json`` into the output folder.
"""

import multiprocessing
import signal
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from stylehead.batch.manifest import Job, PlannedJob, plan_jobs, read_manifest
from stylehead.batch.processes import ProcessGroup, launched_processes
from stylehead.batch.records import BatchRecords, DoneRecord
from stylehead.batch.summary import SUMMARY_NAMES, BatchSummary, JobResult
from stylehead.errors import StyleheadError
from stylehead.media.files import check_writable
from stylehead.options import AnimateOptions
from stylehead.pipeline import DEFAULT_MAX_SECONDS, StyleHeadPipeline
from stylehead.style.library import load_style
from stylehead.style.pack import StylePack

DEFAULT_THREADS = 2  # torch threads per process: the fastest on 2 quiet CPU cores (docs/decisions.md, issue 24)
DEFAULT_WORKERS = 1  # processes started here: the same measurement


@dataclass(frozen=True)
class BatchSettings:
    """How every job of a batch is made (a job's own columns override ``options``)."""

    output_dir: Path
    weights: str | None = None  # a weights folder or Hub repo id (default: the bundled weights)
    generator: str | None = None  # a Style-Aware Generator folder, for renderer "neural"
    overwrite: bool = False  # replace a file found at a job's output name (finished jobs are still skipped)
    contact_sheet: bool = False  # also write <output>.contact.jpg for each video
    max_seconds: float | None = DEFAULT_MAX_SECONDS  # refuse longer audio
    threads: int | None = DEFAULT_THREADS  # torch threads per process (None: torch's own choice)
    progress: bool | None = None  # a progress bar per process (None: when stderr is a terminal)


class Stopped(BaseException):
    """SIGTERM reached a worker process: raised where it is, so that its partial video is removed."""


def run(jobs: str | Path | Iterable[Job | Mapping[str, Any]], output_dir: str | Path, *,
        options: AnimateOptions | None = None, pipeline: StyleHeadPipeline | None = None,
        workers: int = DEFAULT_WORKERS, **settings: Any) -> BatchSummary:  # fmt: skip
    """Make every job's video in ``output_dir`` and return the batch's summary (also written there).

    ``jobs`` is a manifest (``.csv`` or ``.jsonl``; relative paths are read from its folder) or a list of
    :class:`~stylehead.batch.manifest.Job` or dicts of the same columns (relative paths: from the current
    folder). ``options`` are every job's controls unless its row says otherwise; ``settings`` are
    :class:`BatchSettings` fields (``weights``, ``overwrite``, ``contact_sheet``, ``max_seconds``,
    ``threads``, ``progress``). ``pipeline``, already loaded, is used when this process makes jobs itself
    (``workers`` 1); ``workers`` above 1 starts that many processes here, each loading the models.
    """
    started = time.perf_counter()
    config = BatchSettings(output_dir=Path(output_dir), **settings)
    planned = plan(jobs, config.output_dir, options)
    _prepare_output_dir(config.output_dir)
    group = launched_processes()
    try:
        if workers > 1:
            results = _run_workers(planned, group, workers, config)
        else:
            results = run_share(planned, group.index, group.count, config, pipeline)
        group.wait_for_everyone()
        merged = sorted(group.gather(results), key=lambda result: result.number)
    finally:
        group.close()
    summary = BatchSummary(merged, config.output_dir, group.count * workers, time.perf_counter() - started)
    if group.is_main:
        summary.write()
    return summary


def plan(jobs: str | Path | Iterable[Job | Mapping[str, Any]], output_dir: Path,
         options: AnimateOptions | None = None) -> list[PlannedJob]:  # fmt: skip
    """The batch's jobs, numbered and checked (:func:`~stylehead.batch.manifest.plan_jobs`)."""
    if isinstance(jobs, (str, Path)):
        return plan_jobs(read_manifest(jobs), output_dir, Path(jobs).resolve().parent, options)
    planned = plan_jobs(list(jobs), output_dir, Path.cwd(), options)
    if not planned:
        raise StyleheadError("The batch has no jobs; give at least one (an image and an audio file).")
    return planned


def _prepare_output_dir(output_dir: Path) -> None:
    if output_dir.exists() and not output_dir.is_dir():
        raise StyleheadError(f"The output folder {output_dir} is a file; give a folder (it is created if missing).")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StyleheadError(f"The output folder {output_dir} cannot be created ({err.strerror}); choose "
                             "another.") from None  # fmt: skip
    for name in SUMMARY_NAMES:
        check_writable(output_dir / name, overwrite=True)


def run_share(planned: list[PlannedJob], index: int, count: int, config: BatchSettings,
              pipeline: StyleHeadPipeline | None = None) -> list[JobResult]:  # fmt: skip
    """Make jobs ``index``, ``index + count``, … of ``planned`` in this process; their results."""
    mine = planned[index::count]
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    if pipeline is None and any(job.problem is None for job in mine):
        pipeline = StyleHeadPipeline.from_pretrained(config.weights, generator=config.generator)
    maker = _JobMaker(BatchRecords(config.output_dir, index), pipeline, config)
    bar = _bar(len(mine), index, count, config.progress)
    results = []
    try:
        for job in mine:
            results.append(maker.make(job))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return results


class _JobMaker:
    """Makes one process's jobs, each at most once across every process and run, with the styles loaded once."""

    def __init__(self, records: BatchRecords, pipeline: StyleHeadPipeline | None, config: BatchSettings):
        self.records, self.pipeline, self.config = records, pipeline, config
        self._styles: dict[str, StylePack | StyleheadError] = {}

    def make(self, job: PlannedJob) -> JobResult:
        if job.problem is not None:
            self.records.log(job, "failed", error=job.problem)
            return self._result(job, "failed", error=job.problem)
        record = self.records.finished(job)
        if record is not None:
            return self._skipped(job, record)
        claim = self.records.claim(job)
        if claim is None:
            return self._result(job, "busy")
        with claim:
            record = self.records.finished(job)  # finished by another process since we looked
            if record is None and claim.previous is not None:  # a dead process's claim: what did it leave?
                self.records.remove_partials(job)
                record = self.records.adopt(job, claim.previous)
            if record is not None:
                return self._skipped(job, record)
            return self._make(job, claim.note)

    def _make(self, job: PlannedJob, note: dict) -> JobResult:
        self.records.log(job, "started")
        started = time.perf_counter()
        try:
            _make_folder(job.output.parent)
            self.pipeline(job.image, job.audio, job.output, job.options, style=self._style(job.style),
                          max_seconds=self.config.max_seconds, overwrite=self.config.overwrite,
                          contact_sheet=self.config.contact_sheet)  # fmt: skip
        except StyleheadError as err:
            self.records.log(job, "failed", error=str(err))
            return self._result(job, "failed", error=str(err))
        except BaseException:  # stopped (SIGTERM, Ctrl-C) or a bug: a video already in place is still recorded
            self.records.adopt(job, note)
            raise
        seconds = time.perf_counter() - started
        self.records.record_done(job, seconds)
        self.records.log(job, "done", seconds=seconds)
        return self._result(job, "done", seconds=seconds)

    def _style(self, style: str | None) -> StylePack | None:
        """The job's style, loaded (or learned) once per process; a style that failed fails again at once."""
        if style is None:
            return None
        if style not in self._styles:
            try:
                self._styles[style] = load_style(style, self.pipeline.style_models)
            except StyleheadError as err:
                self._styles[style] = err
        loaded = self._styles[style]
        if isinstance(loaded, StyleheadError):
            raise loaded
        return loaded

    def _skipped(self, job: PlannedJob, record: DoneRecord) -> JobResult:
        return replace(self._result(job, "skipped", seconds=record.seconds), process=record.process)

    def _result(self, job: PlannedJob, status: str, seconds: float | None = None, error: str | None = None
                ) -> JobResult:  # fmt: skip
        output = job.output.relative_to(self.config.output_dir).as_posix() if status in ("done", "skipped") else None
        return JobResult(job.number, job.id, status, output, None if seconds is None else round(seconds, 3), error,
                         *(str(p) if p is not None else None for p in (job.image, job.audio, job.style)),
                         self.records.process)  # fmt: skip


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StyleheadError(f"The folder {folder} cannot be made ({err.strerror}); choose another output.") from None


def _bar(total: int, index: int, count: int, show: bool | None):
    if not (sys.stderr.isatty() if show is None else show):
        return None
    from tqdm import tqdm

    label = "batch" if count == 1 else f"batch, process {index + 1}/{count}"
    return tqdm(total=total, desc=label, unit="video", position=index, leave=count == 1)


def _run_workers(planned: list[PlannedJob], group: ProcessGroup, workers: int, config: BatchSettings
                 ) -> list[JobResult]:  # fmt: skip
    """This process's share, made by ``workers`` processes started here (each takes every ``workers``-th)."""
    count = group.count * workers
    slots = [(planned, group.index * workers + worker, count, config) for worker in range(workers)]
    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_stop_on_sigterm)
    try:
        parts = pool.starmap(run_share, slots, chunksize=1)
        pool.close()
    except BaseException:  # stopped, or a worker's error: the others stop too (SIGTERM: Stopped in each)
        pool.terminate()
        raise
    finally:
        pool.join()
    return [result for part in parts for result in part]


def _stop_on_sigterm() -> None:
    signal.signal(signal.SIGTERM, _raise_stopped)


def _raise_stopped(signum, frame) -> None:
    raise Stopped
