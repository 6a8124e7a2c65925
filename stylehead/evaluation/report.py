"""One table and one JSON writer for every ``evaluate`` and ``benchmark`` command.

Each evaluation returns a report (a dict: ``summary``, per-item rows, what was skipped); the command
prints :func:`format_table` of its summary and writes the report with :func:`write_report`, so every
table reads alike and every JSON file is written the same way (atomically: a report is never half there).
"""

import json
from dataclasses import dataclass
from pathlib import Path

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


def write_report(report: dict, output: Path) -> Path:
    """Write ``report`` as indented JSON to ``output`` (through a hidden partial file, renamed when complete)."""
    output = Path(output)
    with atomic_output(output, suffix=".json") as partial:
        Path(partial).write_text(json.dumps(report, indent=1))
    return output
