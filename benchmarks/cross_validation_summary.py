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

from stylehead.evaluation.report import write_report
from stylehead.motion.speaker_split import load_split


def figures(lipsync: list[dict], talking: list[dict]) -> dict:
    """The summary of some clips: mean mouth_corr, median amplitude and closure, mean LMD and D-A of model and
    static, and on how many clips the model is lower."""
    means = {m: {x: float(np.mean([r[m][x] for r in talking])) for x in ("lmd", "da")} for m in ("model", "static")}
    return {
        "clips": len(talking),
        "mouth_corr": float(np.mean([r["model"]["mouth_corr"] for r in lipsync])),
        "amplitude": float(np.median([r["model"]["amplitude"] for r in lipsync])),
        "closure": float(np.median([r["model"]["closure"] for r in lipsync])),
        **{f"{x}_{m}": means[m][x] for m in ("model", "static") for x in ("lmd", "da")},
        **{f"{x}_model_lower": int(sum(r["model"][x] < r["static"][x] for r in talking)) for x in ("lmd", "da")},
    }


def line(label: str, f: dict) -> str:
    return (f"{label} ({f['clips']} clips): mouth_corr {f['mouth_corr']:.3f}, amplitude {f['amplitude']:.2f}, "
            f"closure {f['closure']:.2f}; LMD model {f['lmd_model']:.3f} static {f['lmd_static']:.3f} (model lower "
            f"on {f['lmd_model_lower']}); D-A model {f['da_model']:.1f} static {f['da_static']:.1f} (model lower on "
            f"{f['da_model_lower']})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="holding fold<k>/{lipsync,talking_head}.json")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"))
    parser.add_argument("-o", "--output", type=Path, help="also write the figures as a JSON report")
    args = parser.parse_args()
    validation = load_split(args.split)
    lipsync, talking = [], []
    summary = {}
    for k in range(args.folds):
        fold_lipsync = json.loads((args.runs / f"fold{k}" / "lipsync.json").read_text())["clips"]
        fold_talking = json.loads((args.runs / f"fold{k}" / "talking_head.json").read_text())["clips"]
        summary[f"fold{k}"] = figures(fold_lipsync, fold_talking)
        lipsync += fold_lipsync
        talking += fold_talking
    summary["all"] = figures(lipsync, talking)
    summary["validation"] = figures([r for r in lipsync if validation.is_held_out(r["clip"])],
                                          [r for r in talking if validation.is_held_out(r["clip"])])  # fmt: skip
    labels = {"all": "all clips", "validation": "validation clips"}
    for key, values in summary.items():
        print(line(labels.get(key, key.replace("fold", "fold ")), values))
    if args.output:
        write_report({"summary": summary, "folds": args.folds, "split": str(args.split)}, args.output)


if __name__ == "__main__":
    main()
