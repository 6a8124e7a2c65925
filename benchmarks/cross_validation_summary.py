"""The talking-head protocol over every training clip, each scored by generators that never saw its speaker.

``train/configs/experiments/folds/fold{0..3}.yaml`` split the 67 clips of ../shared/data/train into
four folds by speaker (GRID, Obama and each MEAD speaker kept together; folds balanced by frames).
For each fold, phones and log-mel generators are trained on the other three (final weights, no
selection on the fold), bundled with the shipped head pose model, and ``evaluate talking-head``
scores the fold (commands in train/README.md). This reads the four reports and prints model and
static LMD and D-A over all clips, and over the 8 validation clips of train/configs/split.yaml.

    python benchmarks/cross_validation_summary.py --runs runs
"""

import argparse
import json
from pathlib import Path

import numpy as np

from stylehead.motion.speaker_split import load_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="holding fold<k>/talking_head.json")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"))
    args = parser.parse_args()
    validation = load_split(args.split)
    rows = []
    for k in range(args.folds):
        rows += json.loads((args.runs / f"fold{k}" / "talking_head.json").read_text())["clips"]
    subsets = {"all clips": rows, "validation clips": [r for r in rows if validation.is_held_out(r["clip"])]}
    for label, chosen in subsets.items():
        means = {m: {x: np.mean([r[m][x] for r in chosen]) for x in ("lmd", "da")} for m in ("model", "static")}
        lower = {x: sum(r["model"][x] < r["static"][x] for r in chosen) for x in ("lmd", "da")}
        print(f"{label} ({len(chosen)}): model LMD {means['model']['lmd']:.3f} D-A {means['model']['da']:.1f}; "
              f"static LMD {means['static']['lmd']:.3f} D-A {means['static']['da']:.1f}; "
              f"model lower on LMD for {lower['lmd']}, on D-A for {lower['da']}")  # fmt: skip


if __name__ == "__main__":
    main()
