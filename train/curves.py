"""Print (and optionally plot) the loss curves and validation scores of an image-generator training log.

    python train/curves.py runs/gpu_render/generator_log.json --every 500 --png runs/generator_curves.png

Reads ``training_log.json`` as ``train/train_generator.py`` and ``train/train_style_mapping.py`` write
it: ``curve`` (losses averaged over 25 steps) and ``history`` (validation at each checkpoint).
"""

import argparse
import json
from pathlib import Path

LOSSES = ("d", "g_gan", "g_l1", "g_perceptual", "g_feature", "g_photometric")
SCORES = ("face_l1", "face_psnr", "face_ssim", "mouth_l1", "mouth_psnr", "mouth_ssim")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log", type=Path)
    parser.add_argument("--every", type=int, default=500, help="print the curve every this many steps")
    parser.add_argument("--png", type=Path, help="also plot the curves into this image")
    args = parser.parse_args()
    log = json.loads(args.log.read_text())
    print(f"{log.get('task', '?')} on {log.get('device', '?')} ({log.get('mixed_precision', 'no')} precision)")
    print("step".rjust(6) + "".join(name.rjust(14) for name in LOSSES))
    for row in log["curve"]:
        if row["step"] % args.every == 0 or row is log["curve"][-1] or row is log["curve"][0]:
            print(f"{row['step']:>6}" + "".join(f"{row[name]:>14.4f}" for name in LOSSES))
    print("step".rjust(6) + "".join(name.rjust(12) for name in SCORES) + "   samples/s")
    for row in log["history"]:
        print(f"{row['step']:>6}" + "".join(f"{row[name]:>12.3f}" for name in SCORES)
              + f"{row['samples_per_second']:>12.1f}")  # fmt: skip
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        steps = [row["step"] for row in log["curve"]]
        for name in LOSSES:
            left.plot(steps, [row[name] for row in log["curve"]], label=name)
        left.set_yscale("log"), left.set_xlabel("step"), left.legend(), left.set_title("training losses")
        history = [row["step"] for row in log["history"]]
        for name in ("face_l1", "mouth_l1"):
            right.plot(history, [row[name] for row in log["history"]], marker="o", label=name)
        right.set_xlabel("step"), right.set_ylabel("grey levels"), right.legend(), right.set_title("held-out L1")
        figure.tight_layout()
        figure.savefig(args.png, dpi=90)
        print(f"-> {args.png}")


if __name__ == "__main__":
    main()
