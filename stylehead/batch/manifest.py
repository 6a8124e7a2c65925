"""A batch's jobs: read from a CSV or JSON Lines manifest (or given in Python), each checked and named.

A manifest has one job a row: ``image`` and ``audio`` (needed), ``style`` and ``output`` (optional), and
any animate control by its option name (``mouth_scale``, ``seed``, ``size``…; ``mouth-scale`` works
too). Relative paths are read from the manifest's folder. What is wrong with the manifest as a whole
(it does not exist, it is empty, it has no image column) is a :class:`StyleheadError`; what is wrong
with one row (an unknown column given a value, a control out of range, an output outside the output
folder) becomes that job's ``problem`` and the batch goes on.
"""

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stylehead.errors import StyleheadError
from stylehead.options import AnimateOptions, OptionSpec, check_value, option_specs

MANIFEST_SUFFIXES = (".csv", ".jsonl")
REQUIRED = ("image", "audio")
FIELDS = ("image", "audio", "style", "output")  # the columns that are not controls
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass(frozen=True)
class Job:
    """One video to make, as the user gives it."""

    image: str | Path  # the portrait
    audio: str | Path  # the speech or song
    style: str | Path | None = None  # a preset name, a style pack, a reference video or a Hub repo id
    output: str | Path | None = None  # the mp4's name inside the output folder (default: <number>-<image>.mp4)
    controls: Mapping[str, Any] = field(default_factory=dict)  # animate options by name (mouth_scale=1.2 …)


@dataclass(frozen=True)
class PlannedJob:
    """A job with its number, its id, its resolved paths and options, or the one sentence saying why it cannot run."""

    number: int  # 1 for the manifest's first row
    id: str  # from the row's content and its number: the same row in the same place keeps its id
    image: Path | None
    audio: Path | None
    style: str | None
    output: Path | None  # inside the output folder
    options: AnimateOptions | None
    problem: str | None = None  # set: the job fails with this sentence, without running


def read_manifest(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a ``.csv`` (a header, then one job a row) or ``.jsonl`` (one JSON object a line) manifest.

    A JSON line that is not an object comes back as ``{"__problem__": sentence}``: that job fails, not the batch.
    """
    path = Path(path)
    if not path.is_file():
        raise StyleheadError(f"The manifest {path} does not exist; give a .csv or .jsonl file of jobs.")
    if path.suffix.lower() not in MANIFEST_SUFFIXES:
        raise StyleheadError(f"The manifest {path.name} should end in .csv or .jsonl (one job a row).")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise StyleheadError(f"The manifest {path.name} is not UTF-8 text; save it as UTF-8.") from None
    rows = _csv_rows(text, path.name) if path.suffix.lower() == ".csv" else _jsonl_rows(text)
    if not rows:
        raise StyleheadError(f"The manifest {path.name} has no jobs; give one row per video.")
    for name in REQUIRED:
        if not any(name in row for row in rows):
            raise StyleheadError(f"The manifest {path.name} has no {name} column; name that column '{name}'.")
    return rows


def _csv_rows(text: str, name: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(text.splitlines())
    header = [_key(column) for column in reader.fieldnames or ()]
    for column in REQUIRED:
        if header and column not in header:
            raise StyleheadError(f"The manifest {name} has no {column} column; its first row names the columns "
                                 "(image, audio, and optionally style, output and any animate option).")  # fmt: skip
    rows = []
    for row in reader:
        cells = {_key(k): v for k, v in row.items() if k is not None}
        if None in row:  # more cells than columns
            cells["__problem__"] = f"Row {len(rows) + 1} has more cells than the header has columns."
        if any(str(v or "").strip() for v in cells.values()):  # an empty line is no job
            rows.append(cells)
    return rows


def _jsonl_rows(text: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            row = None
        if not isinstance(row, dict):
            row = {"__problem__": f"Line {line_number} is not a JSON object of the job's columns."}
        rows.append({_key(k): v for k, v in row.items()})
    return rows


def _key(column: str) -> str:
    return str(column).strip().replace("-", "_")


def plan_jobs(jobs: Iterable[Job | Mapping[str, Any]], output_dir: Path, base: Path,
              defaults: AnimateOptions | None = None) -> list[PlannedJob]:  # fmt: skip
    """Number, name and check each job: paths read from ``base``, controls on top of ``defaults``, outputs
    inside ``output_dir`` and each used once."""
    planned: list[PlannedJob] = []
    taken: dict[Path, int] = {}
    for number, job in enumerate(jobs, start=1):
        row = _as_row(job)
        item = _plan(number, row, output_dir, base, defaults or AnimateOptions())
        if item.output is not None and item.problem is None:
            if item.output in taken:
                item = _failed(item, f"Job {taken[item.output]} writes {item.output.name} too; give each job its own "
                                     "output name.")  # fmt: skip
            else:
                taken[item.output] = number
        planned.append(item)
    return planned


def _as_row(job: Job | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(job, Job):
        row = {"image": job.image, "audio": job.audio, "style": job.style, "output": job.output, **job.controls}
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in row.items() if v is not None}
    if not isinstance(job, Mapping):
        return {"__problem__": f"A job is a Job or a dict of columns, not {type(job).__name__}."}
    return {_key(k): (str(v) if isinstance(v, Path) else v) for k, v in job.items()}


def job_id(number: int, row: Mapping[str, Any]) -> str:
    """16 hex digits from the row's given cells and its number."""
    given = {k: v for k, v in row.items() if not _blank(v)}
    text = json.dumps([number, given], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plan(number: int, row: dict[str, Any], output_dir: Path, base: Path, defaults: AnimateOptions) -> PlannedJob:
    ident = job_id(number, row)
    given = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if not _blank(v)}
    image, audio = (_resolve(given[k], base) if k in given else None for k in REQUIRED)
    style = given.get("style")
    if isinstance(style, str) and (base / style).is_file():
        style = str(_resolve(style, base))
    output = None
    try:
        output = _output(number, given, image, output_dir)
        if "__problem__" in given:
            raise StyleheadError(given["__problem__"])
        for name in REQUIRED:
            if name not in given:
                raise StyleheadError(f"Job {number} has no {name}; give its {name} file.")
        options = defaults.replace(**_controls(given)).validate()
    except StyleheadError as err:
        return PlannedJob(number, ident, image, audio, style, output, None, str(err))
    return PlannedJob(number, ident, image, audio, style, output, options)


def _failed(job: PlannedJob, problem: str) -> PlannedJob:
    return PlannedJob(job.number, job.id, job.image, job.audio, job.style, job.output, None, problem)


def _resolve(value: Any, base: Path) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else base / path


def _output(number: int, given: dict[str, Any], image: Path | None, output_dir: Path) -> Path:
    """Where the job's mp4 goes: its ``output`` cell, or ``<number>-<image name>.mp4``, inside ``output_dir``."""
    name = str(given.get("output") or f"{number:04d}-{image.stem if image is not None else 'job'}.mp4")
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts or any(part.startswith(".") for part in relative.parts):
        raise StyleheadError(f"The output {name} is not a plain name inside the output folder; give a name like "
                             "clip.mp4 or part1/clip.mp4.")  # fmt: skip
    return output_dir / relative


def _controls(given: dict[str, Any]) -> dict[str, Any]:
    """The row's controls, each text cell read as its option's kind (CSV cells are all text)."""
    specs = {spec.name: spec for spec in option_specs()}
    controls = {}
    for name, value in given.items():
        if name in FIELDS or name == "__problem__":
            continue
        if name not in specs:
            raise StyleheadError(f"There is no option {name!r}; a job's columns are {', '.join(FIELDS)} and the "
                                 f"options {', '.join(specs)}.")  # fmt: skip
        controls[name] = _value(specs[name], value) if isinstance(value, str) else value
    return controls


def _value(spec: OptionSpec, text: str) -> Any:
    """``text`` as a value of ``spec`` (its range is checked later, with the others)."""
    if spec.kind is bool:
        word = text.lower()
        if word not in TRUE_WORDS + FALSE_WORDS:
            check_value(spec, text)  # raises: on or off
        return word in TRUE_WORDS
    if spec.kind is str:
        return text
    try:
        number = float(text)
    except ValueError:
        check_value(spec, text)  # raises: must be a number
        raise
    return int(number) if spec.kind is int and number.is_integer() else number
