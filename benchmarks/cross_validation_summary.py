"""Lip sync and the talking-head protocol over every training clip, each scored by generators that never
saw its speaker.

``train/configs/experiments/folds/fold{0..3}.yaml`` split the 67 clips of ../shared/data/train into
four folds by speaker (``train/make_folds.py``: every clip of a speaker in one fold, folds balanced
by duration). For each fold the default generator recipe is trained on the other three (final
weights, no selection on the fold), bundled with the shipped head pose model, and ``evaluate
lipsync`` and ``evaluate talking-head`` score the fold (commands in train/README.md). This reads the
eight reports and prints, per fold and over all clips: mouth_corr, amplitude and closure of the
model (lip sync, landmark level), and model and static LMD and D-A (rendered and re-tracked); then
the same over the 8 validation clips of train/configs/split.yaml.

    python benchmarks/cross_validation_summary.py --runs runs
"""

import argparse
import json
from pathlib import Path

import numpy as np

from stylehead.motion.speaker_split import load_split


def line(label: str, lipsync: list[dict], talking: list[dict]) -> str:
    corr = np.mean([r["model"]["mouth_corr"] for r in lipsync])
    amplitude = np.median([r["model"]["amplitude"] for r in lipsync])
    closure = np.median([r["model"]["closure"] for r in lipsync])
    means = {m: {x: np.mean([r[m][x] for r in talking]) for x in ("lmd", "da")} for m in ("model", "static")}
    lower = {x: sum(r["model"][x] < r["static"][x] for r in talking) for x in ("lmd", "da")}
    return (f"{label} ({len(talking)} clips): mouth_corr {corr:.3f}, amplitude {amplitude:.2f}, closure {closure:.2f}; "
            f"LMD model {means['model']['lmd']:.3f} static {means['static']['lmd']:.3f} (model lower on "
            f"{lower['lmd']}); D-A model {means['model']['da']:.1f} static {means['static']['da']:.1f} "
            f"(model lower on {lower['da']})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="holding fold<k>/{lipsync,talking_head}.json")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"))
    args = parser.parse_args()
    validation = load_split(args.split)
    lipsync, talking = [], []
    for k in range(args.folds):
        fold_lipsync = json.loads((args.runs / f"fold{k}" / "lipsync.json").read_text())["clips"]
        fold_talking = json.loads((args.runs / f"fold{k}" / "talking_head.json").read_text())["clips"]
        print(line(f"fold {k}", fold_lipsync, fold_talking))
        lipsync += fold_lipsync
        talking += fold_talking
    print(line("all clips", lipsync, talking))
    print(line("validation clips", [r for r in lipsync if validation.is_held_out(r["clip"])],
               [r for r in talking if validation.is_held_out(r["clip"])]))  # fmt: skip


if __name__ == "__main__":
    main()
