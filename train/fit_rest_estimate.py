"""Fit the rest estimate a portrait's mouth is closed with, and measure it on held-out speakers.

    python train/fit_rest_estimate.py --data runs/data --split train/configs/split.yaml \
        --output stylehead/weights/rest_estimate.safetensors

A portrait is one frame, often caught mid-word; the motion models' displacements are learned from a
speaker's rest shape (``stylehead.face.rest_shape.rest_shape``: the median of their least-open
frames). This fits :class:`~stylehead.face.rest_shape.RestEstimate` on the training clips (never
the validation speakers of the split) and first scores it the honest way: clips are grouped by
speaker (the split's speaker table), each speaker's clips are estimated with a fit on the other
speakers, from 40 frames spread over each clip. Printed per
method, averaged over clips: the mouth-point error (mouth centred, as LMD is) in percent of the
interocular distance, and the inner-lip area error in thousandths of its square, both against the
clip's true rest shape; the mouth error on the clips' calm frames (least-open 20%), which an
estimate must leave as they are; and D-A as the talking-head evaluation takes it (mean inner-lip
area difference in % of the real mean area) when the clip's own motion is played on the estimated
rest shape from each of 20 frames: the cost of the estimate alone, with perfect motion. The figures
go into the file's header with the clip names.
"""

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from stylehead.evaluation.metrics import lipsync_metrics, polygon_area
from stylehead.face.landmarks import INNER_LIPS, MOUTH, interocular_distance, mouth_opening
from stylehead.face.rest_shape import RestEstimate, close_to_rest
from stylehead.motion.speaker_split import load_split
from stylehead.motion.training_data import load_clips, split_clips

FRAMES_PER_CLIP = 40
PLAYED_SOURCES_PER_CLIP = 20  # source frames a clip's own motion is played from (D-A, own motion)


def rest_errors(estimate: np.ndarray, rest: np.ndarray) -> tuple[float, float]:
    """(mouth-point error in % IOD, |inner-lip area error| in 1e-3 IOD²) of one estimated rest shape."""
    scale = float(interocular_distance(rest[None])[0])
    mouth = [estimate[list(MOUTH), :2], rest[list(MOUTH), :2]]
    centred = [m - m.mean(0) for m in mouth]
    error = np.linalg.norm(centred[0] - centred[1], axis=-1).mean() / scale * 100.0
    areas = polygon_area(np.stack([estimate, rest])[:, list(INNER_LIPS), :2]) / scale**2 * 1e3
    return float(error), float(abs(areas[0] - areas[1]))


def own_motion_da(estimate: np.ndarray, rest: np.ndarray, frames: np.ndarray) -> float:
    """D-A (%) of the clip's own motion played on an estimated rest shape, against the clip."""
    return lipsync_metrics(estimate[None] + (frames - rest[None]), frames)["da"]


def held_out_scores(pairs: dict[str, tuple[np.ndarray, np.ndarray]], speaker: Callable[[str], str]
                    ) -> dict[str, dict[str, float]]:  # fmt: skip
    """Leave-one-speaker-out scores of: the frame as it is, ``close_to_rest`` and the fitted estimate."""
    groups: dict[str, list[str]] = {}
    for name in pairs:
        groups.setdefault(speaker(name), []).append(name)
    methods = ("frame as photographed", "close_to_rest", "rest estimate")
    every: dict[str, list] = {m: [] for m in methods}
    calm: dict[str, list] = {m: [] for m in methods}
    played: dict[str, list] = {m: [] for m in methods}
    for members in groups.values():
        fitted = RestEstimate.fit([pairs[n] for n in pairs if n not in members])
        estimators = dict(zip(methods, (lambda f: f, close_to_rest, fitted), strict=True))
        for name in members:
            frames, rest = pairs[name]
            opening = mouth_opening(frames)
            quiet = frames[opening <= np.quantile(opening, 0.2)]
            quiet = quiet[:: max(1, len(quiet) // 10)]
            chosen = frames[:: max(1, len(frames) // FRAMES_PER_CLIP)]
            sources = frames[:: max(1, len(frames) // PLAYED_SOURCES_PER_CLIP)]
            for method, estimate in estimators.items():
                every[method].append(np.mean([rest_errors(estimate(f), rest) for f in chosen], axis=0))
                calm[method].append(np.mean([rest_errors(estimate(f), rest) for f in quiet], axis=0))
                played[method].append(np.mean([own_motion_da(estimate(f), rest, frames) for f in sources]))
    return {
        method: {
            "mouth_error": float(np.mean(every[method], axis=0)[0]),
            "area_error": float(np.mean(every[method], axis=0)[1]),
            "calm_mouth_error": float(np.mean(calm[method], axis=0)[0]),
            "own_motion_da": float(np.mean(played[method])),
        }
        for method in methods
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("runs/data"), help="train/preprocess.py's output")
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"))
    parser.add_argument("--output", type=Path, help="where to write the fitted estimate (default: only score)")
    args = parser.parse_args()

    training, _ = split_clips(load_clips(args.data), args.split)
    pairs = {clip.name: (clip.face_points[clip.valid], clip.rest) for clip in training}
    speaker = load_split(args.split).speaker
    scores = held_out_scores(pairs, speaker)
    groups = len({speaker(name) for name in pairs})
    print(f"{len(pairs)} training clips of {groups} speakers, each scored with a fit on the others")
    print(f"{'method':24s} {'mouth % IOD':>12s} {'|area| 1e-3':>12s} {'calm frames':>12s} {'D-A own motion':>15s}")
    for method, row in scores.items():
        print(f"{method:24s} {row['mouth_error']:12.2f} {row['area_error']:12.2f} {row['calm_mouth_error']:12.2f} "
              f"{row['own_motion_da']:15.1f}")  # fmt: skip
    if args.output is not None:
        estimate = RestEstimate.fit(list(pairs.values()))
        metadata = {
            "trained_on": ",".join(sorted(pairs)),
            "held_out_scores": json.dumps(scores),
            "command": f"python train/fit_rest_estimate.py --data {args.data} --split {args.split}",
        }
        estimate.save(args.output, metadata)
        print(f"wrote {args.output} (outer rest gap {estimate.outer_rest_gap:.3f} IOD)")


if __name__ == "__main__":
    main()
