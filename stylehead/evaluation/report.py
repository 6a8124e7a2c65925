"""One table and one JSON writer for every ``evaluate`` and ``benchmark`` command.

Each evaluation returns a report (a dict: ``summary``, per-item rows, what was skipped); the command
prints :func:`format_table` of its summary and writes the report with :func:`write_report`, so every
table reads alike and every JSON file is written the same way (atomically: a report is never half there).
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stylehead.errors import StyleheadError
from stylehead.media.files import atomic_output


@dataclass(frozen=True)
class Column:
    """One column of a table: the summary key, its heading, its number format."""

    key: str
    title: str
    format: str = ".3f"


def format_table(summary: dict[str, dict], rows: list[str], columns: list[Column], label: str = "method") -> str:
    """A fixed-width table: one line per name in ``rows`` (a key of ``summary``), one column per :class:`Column`;
    a value a row does not have is left blank."""
    width = max(len(label), *(len(row) for row in rows)) + 2
    widths = [max(len(column.title), 8) + 2 for column in columns]
    lines = [f"{label:<{width}}" + "".join(f"{c.title:>{w}}" for c, w in zip(columns, widths, strict=True))]
    for row in rows:
        values = summary[row]
        cells = [f"{values[c.key]:>{w}{c.format}}" if c.key in values else " " * w
                 for c, w in zip(columns, widths, strict=True)]  # fmt: skip
        lines.append(f"{row:<{width}}" + "".join(cells))
    return "\n".join(lines)


def write_report(report: dict, output: Path, overwrite: bool = True) -> Path:
    """Write ``report`` as indented JSON to ``output`` (through a hidden partial file, renamed when complete;
    an existing file is kept unless ``overwrite``)."""
    output = Path(output)
    with atomic_output(output, suffix=".json", overwrite=overwrite) as partial:
        Path(partial).write_text(json.dumps(report, indent=1))
    return output


def score_each(items: Sequence[Path], score: Callable[[int, Path], dict], label: str,
               progress: Callable[[dict], None] | None = None) -> tuple[list[dict], list[dict]]:  # fmt: skip
    """(rows, skipped): ``score(index, item)`` for each item; an item that cannot be scored (one
    :class:`StyleheadError`) is listed under ``label`` with the reason, and the evaluation goes on."""
    rows, skipped = [], []
    for index, item in enumerate(items):
        try:
            row = score(index, Path(item))
        except StyleheadError as err:
            skipped.append({label: Path(item).name, "reason": str(err)})
            continue
        rows.append(row)
        if progress is not None:
            progress(row)
    return rows, skipped
