"""Choose the head pose model's default sampling temperature on the training clips.

Teacher forcing at 60 fps makes the next pose very predictable, so the learned standard deviations
are small and sampling at LSP's temperature (0.3) moves the head far less than people do. This
script finds, by bisection on the *training* speakers, the temperature of each rotation axis at
which the sampled rotation has the same median standard deviation as the real one (translations
take their mean), and writes them into the model's config.json (validation speakers are never
used for it).

    python train/calibrate_head_pose.py --model runs/head_pose/head_pose_model --data runs/data \
        --split train/configs/split.yaml
"""

import argparse
from pathlib import Path

import numpy as np
import torch

from stylehead.motion.head_pose_model import HeadPoseModel
from stylehead.motion.training_data import Clip, load_clips, relative_pose, split_clips


def std_ratios(model: HeadPoseModel, clips: list[Clip], temperature: np.ndarray) -> np.ndarray:
    """Median over clips of sampled std / real std, for each rotation axis: (3,)."""
    ratios = []
    for clip in clips:
        sampled = model.generate(clip.inputs(tuple(model.config.features)), tuple(temperature.tolist()),
                                 torch.Generator().manual_seed(0)).numpy()[:, :3]  # fmt: skip
        real = relative_pose(clip.pose, clip.valid)[clip.valid][:, :3]
        ratios.append(sampled.std(0) / np.maximum(real.std(0), 1e-3))
    return np.median(ratios, axis=0)


def calibrate(model: HeadPoseModel, clips: list[Clip], low: float = 0.1, high: float = 6.0, rounds: int = 8
              ) -> tuple[float, ...]:  # fmt: skip
    """Per-axis temperatures (bisection in log space, all three axes at once); translations get their mean."""
    low, high = np.full(3, low), np.full(3, high)
    for _ in range(rounds):
        middle = np.sqrt(low * high)
        below = std_ratios(model, clips, np.concatenate([middle, [middle.mean()] * 3])) < 1.0
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    rotation = np.sqrt(low * high)
    return tuple(round(float(t), 3) for t in np.concatenate([rotation, [rotation.mean()] * 3]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("runs/data"))
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"))
    parser.add_argument("--clips", type=int, default=16, help="longest training clips to use")
    args = parser.parse_args()
    train_clips, _ = split_clips(load_clips(args.data), args.split)
    train_clips = sorted(train_clips, key=len, reverse=True)[: args.clips]
    model = HeadPoseModel.from_pretrained(args.model, strict=True)
    model.config.temperature = calibrate(model, train_clips)
    model.save_pretrained(args.model)
    ratios = std_ratios(model, train_clips, np.asarray(model.config.temperature))
    summary = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"temperature {model.config.temperature} (sampled/real rotation std on training clips: {summary})")


if __name__ == "__main__":
    main()
