"""Generators compared on a split's held-out clips at landmark level: D-A, mouth LMD, mouth r, amplitude, closure.

Each ``--generators`` entry is a train_motion.py output folder, or several joined by ``+`` whose
predictions are averaged as a bundle averages them. For every held-out clip of ``--split``, the
rest shape is estimated (:func:`~stylehead.face.rest_shape.portrait_rest`) from each of 10 frames
spread over the clip, the generated motion is added to it, and the result is scored against the
tracked clip in the face frame with the lip-sync metrics (:func:`stylehead.evaluation.metrics.lipsync_metrics`):
D-A (mean inner-lip area difference in % of the real mean area, as ``evaluate talking-head`` takes
it), the mouth-point error with the mouth centred (% of the interocular distance) and the
correlation of the mouth opening, and how far it opens and closes against the real mouth (the
generated/real spread and 5% quantile of the opening, medians over clips). The static baseline holds
the frame.
No rendering and no head pose: this isolates the generators.

    python benchmarks/generator_dev.py --split train/configs/experiments/dev_split.yaml \
        --generators runs/dev_squared+runs/dev_mel_squared runs/dev_absolute+runs/dev_mel_absolute
    python benchmarks/generator_dev.py --generators runs/dev_squared+runs/dev_mel_squared --mouth-scale 0.8
"""

import argparse
from pathlib import Path

import numpy as np

from stylehead.evaluation.metrics import lipsync_metrics
from stylehead.face.rest_shape import apply_displacements, portrait_rest
from stylehead.motion.mouth_eye_generator import MouthEyeGenerator
from stylehead.motion.training_data import load_clips, split_clips
from stylehead.safe_loading import load_component

SOURCE_FRAMES = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("runs/data"), help="train/preprocess.py's output")
    parser.add_argument("--split", type=Path, default=Path("train/configs/experiments/dev_split.yaml"))
    parser.add_argument("--generators", nargs="+", required=True, help="folders, or folders joined by +")
    parser.add_argument(
        "--mouth-scale", type=float, default=1.0, help="multiply the generated motion (the pipeline's mouth_scale)"
    )
    parser.add_argument("--smoothing", type=float, help="Gaussian σ (frames) of the generated motion (default: each "
                        "generator's own)")  # fmt: skip
    args = parser.parse_args()
    _, held_out = split_clips(load_clips(args.data), args.split)
    folders = {folder for entry in args.generators for folder in entry.split("+")}
    models = {f: load_component(MouthEyeGenerator, Path(f) / "mouth_eye_generator") for f in folders}
    for model in models.values():
        model.config.smoothing = model.config.smoothing if args.smoothing is None else args.smoothing
    points = {tuple(m.config.points) for m in models.values()}
    if len(points) != 1:
        raise SystemExit("the generators must move the same landmarks")
    points = points.pop()
    scores: dict[str, list] = {name: [] for name in ("static", *args.generators)}
    for clip in held_out:
        real = clip.face_points[clip.valid]
        motion = {f: m.generate(clip.inputs(m.config.features)).numpy()[: len(clip)][clip.valid]
                  for f, m in models.items()}  # fmt: skip
        sources = np.linspace(0, len(real) - 1, SOURCE_FRAMES).astype(int)
        for name in scores:
            rows = []
            for index in sources:
                if name == "static":
                    played = np.repeat(real[index][None], len(real), axis=0)
                else:
                    averaged = np.mean([motion[f] for f in name.split("+")], axis=0) * args.mouth_scale
                    played = apply_displacements(portrait_rest(real[index]), averaged, points)
                metrics = lipsync_metrics(played, real)
                keys = ("da", "lmd") if name == "static" else ("da", "lmd", "mouth_corr", "amplitude", "closure")
                rows.append([metrics[k] for k in keys] + [np.nan] * (5 - len(keys)))
            scores[name].append(np.mean(rows, axis=0))
    print(f"{len(held_out)} held-out clips of {args.split}, rest estimated from {SOURCE_FRAMES} frames of each")
    print(f"{'generators':60s} {'D-A':>7s} {'mouth LMD':>10s} {'mouth r':>8s} {'amplitude':>10s} {'closure':>8s}")
    for name, rows in scores.items():
        da, lmd, r = np.mean(rows, axis=0)[:3]
        amplitude, closure = np.median(rows, axis=0)[3:]
        tail = "       -          -        -" if name == "static" else f"{r:8.3f} {amplitude:10.2f} {closure:8.2f}"
        print(f"{name:60s} {da:7.1f} {lmd:10.2f} {tail}")


if __name__ == "__main__":
    main()
