"""Every figure in the README and docs/ comes from a JSON report in docs/reports/, never typed by hand.

A figure in a markdown file is written as

    <!-- fig lipsync.json:summary/model/mouth_corr .3f -->0.476<!-- /fig -->

(the report, the path of keys inside it, a Python format spec; the comment does not show when the
markdown is rendered). ``python tools/doc_figures.py`` rewrites every figure from its report;
``--check`` changes nothing and exits 1, naming each figure, when a figure in the text is not what
its report says (edited by hand, or a report regenerated without the docs). ``tests/test_docs.py``
runs the check.

Reports are copied into docs/reports/ from the commands that make them (``docs/evaluation.md`` lists
each command); a list index is a number (``clips/0/clip``).
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURE = re.compile(r"<!-- fig (?P<report>[\w.-]+\.json):(?P<path>\S+) (?P<format>\S+) -->(?P<text>.*?)<!-- /fig -->")
DOCUMENTS = ("README.md", "docs/*.md", "train/README.md")


def value_at(report: object, path: str) -> object:
    """The value of a report at a ``/``-separated path of keys (and list indices)."""
    for key in path.split("/"):
        report = report[int(key)] if isinstance(report, list) else report[key]
    return report


def render(match: re.Match, reports: Path, cache: dict[str, object]) -> str:
    name = match["report"]
    if name not in cache:
        cache[name] = json.loads((reports / name).read_text())
    value = value_at(cache[name], match["path"])
    return format(value, match["format"] if match["format"] != "s" else "")


def update(text: str, reports: Path, cache: dict[str, object]) -> tuple[str, list[str]]:
    """``text`` with every figure rewritten from its report, and a line for each figure that changed."""
    changed: list[str] = []

    def replace(match: re.Match) -> str:
        try:
            figure = render(match, reports, cache)
        except FileNotFoundError:
            changed.append(f"{match['report']} does not exist in {reports}")
            return match.group(0)
        except (KeyError, IndexError, ValueError):
            changed.append(f"{match['report']} has no {match['path']} (or it does not take {match['format']})")
            return match.group(0)
        if figure != match["text"]:
            changed.append(f"{match['report']}:{match['path']} is {figure} in the report, {match['text']} in the text")
        return match.group(0).replace(f"-->{match['text']}<!--", f"-->{figure}<!--", 1)

    return FIGURE.sub(replace, text), changed


def documents(root: Path) -> list[Path]:
    return sorted({path for pattern in DOCUMENTS for path in root.glob(pattern)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a figure is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    reports, cache, stale, count = args.root / "docs" / "reports", {}, 0, 0
    for path in documents(args.root):
        text = path.read_text()
        count += len(FIGURE.findall(text))
        new, changed = update(text, reports, cache)
        for line in changed:
            print(f"{path.relative_to(args.root)}: {line}")
        stale += len(changed)
        if changed and not args.check:
            path.write_text(new)
    print(f"{count} figures, {stale} {'stale' if args.check else 'rewritten'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
