"""How far lip sync on held-out speakers is from what the features allow: three probes on the validation speakers.

    python train/preprocess.py --clips ../shared/data/train --output runs/data
    python benchmarks/lipsync_ceiling.py --data runs/data --split train/configs/split.yaml

1. The shipped generators' mouth smoothed in time (Gaussian, σ in frames at 60 fps): whether what they
   miss is frame-to-frame jitter.
2. A ridge regression from the speech encoder's states (the bundled encoder's, as ``preprocess.py``
   stored them, ±``--context`` frames) to the mouth and eye displacements, fitted on the training
   speakers only, scored on the held-out ones: a linear reading of the same features, out of sample.
3. The same ridge fitted with the held-out clips included: what a linear reading reaches on speakers
   it has seen, an upper bound of a kind for 1-2 at this amount of data.

Each is scored like ``evaluate lipsync`` (mouth_corr, mean over clips; amplitude, median).
"""

import argparse
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from stylehead.evaluation.lipsync import score_clip
from stylehead.face.rest_shape import displacements
from stylehead.media import VIDEO_SUFFIXES, read_audio
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.speaker_split import load_split
from stylehead.motion.training_data import load_clips


def with_context(states: np.ndarray, context: int, step: int) -> np.ndarray:
    """(T, D) → (T, K·D + 1): the states ``step`` frames apart within ±``context``, edges repeated, and a 1."""
    index = np.arange(len(states))
    shifted = [states[np.clip(index + offset, 0, len(states) - 1)] for offset in range(-context, context + 1, step)]
    return np.concatenate([*shifted, np.ones((len(states), 1), states.dtype)], axis=1)


def ridge(inputs: list[np.ndarray], targets: list[np.ndarray], strength: float) -> np.ndarray:
    design, target = np.concatenate(inputs), np.concatenate(targets)
    return np.linalg.solve(design.T @ design + strength * np.eye(design.shape[1]), design.T @ target)


def summary(rows: list[dict[str, float]]) -> str:
    corr = np.mean([r["mouth_corr"] for r in rows])
    return f"mouth_corr {corr:.3f}, amplitude {np.median([r['amplitude'] for r in rows]):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("runs/data"), help="train/preprocess.py's output")
    parser.add_argument("--clips", type=Path, default=Path("../shared/data/train"), help="the videos (for audio)")
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"))
    parser.add_argument("--context", type=int, nargs="+", default=[3, 9, 30], help="frames each side")
    parser.add_argument("--ridge", type=float, nargs="+", default=[10.0, 1000.0])
    args = parser.parse_args()
    split = load_split(args.split)
    model = AudioToMotion.from_pretrained()
    points = model.points
    clips = load_clips(args.data)
    held_out = [c for c in clips if split.is_held_out(c.name)]
    videos = {p.stem: p for p in args.clips.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES}
    print(f"{len(clips) - len(held_out)} training clips, {len(held_out)} held-out clips "
          f"of {len(split.held_out)} speakers")  # fmt: skip

    generated = {c.name: model.mouth_and_eyes(model.audio_features(read_audio(videos[c.name]))) for c in held_out}
    for sigma in (0, 1, 2, 4, 6):
        rows = []
        for clip in held_out:
            motion = generated[clip.name]
            motion = gaussian_filter1d(motion, sigma, axis=0, mode="nearest") if sigma else motion
            rows.append(score_clip(motion, clip.rest, points, clip.face_points,
                                   clip.valid))  # fmt: skip
        print(f"generators, smoothed σ {sigma} frames: {summary(rows)}")

    for context in args.context:
        step = max(1, context // 6)
        inputs = {c.name: with_context(np.asarray(c.speech, np.float64), context, step) for c in clips}
        targets = {c.name: displacements(c.face_points, c.rest, points)
                   .reshape(len(c), -1) for c in clips}  # fmt: skip
        for strength in args.ridge:
            for label, fitted in (("training speakers", [c for c in clips if not split.is_held_out(c.name)]),
                                  ("all, held-out included", clips)):  # fmt: skip
                weights = ridge([inputs[c.name][c.valid] for c in fitted], [targets[c.name][c.valid] for c in fitted],
                                strength)  # fmt: skip
                rows = [score_clip((inputs[c.name] @ weights).reshape(len(c), -1, 3).astype(np.float32),
                                   c.rest, points, c.face_points, c.valid)
                        for c in held_out]  # fmt: skip
                print(f"ridge ±{context} frames (every {step}), λ {strength:g}, fitted on {label}: {summary(rows)}")


if __name__ == "__main__":
    main()
