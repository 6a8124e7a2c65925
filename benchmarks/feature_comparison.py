"""Compare the audio features of the mouth and eye generator from their training runs' validation logs.

Every run of train/train_motion.py validates on the held-out speakers every ``eval_every`` steps and
records the scores in ``<output>/checkpoints/trainer.json``. This prints, for each run, the scores
at a common step (equal training budget) and at its best step.

    python benchmarks/feature_comparison.py runs/motion_phones runs/motion_mel runs/motion_apc \
        runs/motion_apc_projected --step 300
"""

import argparse
import json
from pathlib import Path

KEYS = ("mouth_corr", "lmd", "dv", "da")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--step", type=int, default=300, help="the common step to compare at")
    args = parser.parse_args()
    header = f"{'run':<28}{'features':<18}{'at step':>8}" + "".join(f"{k:>11}" for k in KEYS)
    print(header)
    for run in args.runs:
        state = json.loads((run / "checkpoints" / "trainer.json").read_text())
        config = json.loads((run / "mouth_eye_generator" / "config.json").read_text())
        features = "+".join(config["features"])
        log = run / "training_log.json"
        if log.exists() and json.loads(log.read_text())["config"].get("projection", 0) > 0:
            features += " (proj.)"
        history = state["history"]
        at_step = [h for h in history if h["step"] == args.step]
        best = max(history, key=lambda h: h["mouth_corr"])
        for label, row in (("common", at_step[0] if at_step else None), ("best", best)):
            if row is None:
                print(f"{run.name:<28}{features:<18}{'-':>8}  (no validation at step {args.step})")
                continue
            print(
                f"{run.name + ' ' + label:<28}{features:<18}{row['step']:>8}"
                + "".join(f"{row[k]:>11.3f}" for k in KEYS)
            )


if __name__ == "__main__":
    main()
