"""Choose the head pose model's default sampling temperature and default head motion on the training clips.

Teacher forcing at 60 fps makes the next pose very predictable, so the learned standard deviations
are small. At low temperatures the sampled head wanders off for seconds at a time (its 10 s means
drift by more than its spread); at high ones it stays stationary but jitters, faster than any real
head. So, on the *training* speakers:

- the temperature kept is the highest of a grid at which the sampled, smoothed motion is no faster
  than the real tracks: the most stationary motion that does not jitter (the script prints the
  speed and the spread of every temperature of the grid);
- the default head motion is the spread (std of each pose value) and angular speed of the typical
  real track: the median over clips, since a few clips (people walking, turning to someone off
  camera) move far more than the rest and would pull a mean up. Without a style the pipeline
  rescales the sampled motion to them, just as a style's own statistics do (``AudioToMotion.head_poses``).

Both go into the model's config.json. Validation speakers are never used for it. Clips from lab
corpora (GRID, MEAD, RAVDESS), whose speakers were asked to face the camera and keep still, are left
out by default: the default motion should be that of people talking naturally, which is what a
user's own style videos show. ``--exclude`` changes the list.

    python train/calibrate_head_pose.py --model runs/head_pose/head_pose_model --data runs/data \
        --split train/configs/split.yaml
"""

import argparse
from pathlib import Path

import numpy as np
import torch

from stylehead.audio.features import FPS
from stylehead.face.pose import angular_speed, relative_pose
from stylehead.motion.audio_to_motion import smooth_pose
from stylehead.motion.head_pose_model import HeadPoseModel
from stylehead.motion.training_data import Clip, load_clips, split_clips
from stylehead.style.statistics import tracked_pose_speed

LAB_CORPORA = ("grid_", "mead_", "eamm_mead_", "rav_")
TEMPERATURES = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4)


def sampled_motion(model: HeadPoseModel, clips: list[Clip], temperature: float) -> tuple[float, np.ndarray]:
    """Median over clips of the angular speed (degrees/s) and of the std (6,) of smoothed motion
    sampled as the pipeline does (seed 0)."""
    features = tuple(model.config.features)
    poses = [smooth_pose(model.motion(clip.inputs(features), temperature, torch.Generator().manual_seed(0)))
             for clip in clips]  # fmt: skip
    return float(np.median([angular_speed(p, FPS) for p in poses])), np.median([p.std(0) for p in poses], axis=0)


def calibrate(model: HeadPoseModel, clips: list[Clip]) -> tuple[float, np.ndarray, float]:
    """(temperature, real pose std (6,) and angular speed, each the median over clips).

    Every temperature of the grid is sampled and printed (speed, and spread against the real
    tracks'), so the trade-off is on record; the one kept is the last before the first that is faster
    than the real tracks.
    """
    real_std = np.median([relative_pose(c.pose, c.valid)[c.valid].std(0) for c in clips], axis=0)
    real_speed = float(np.median([tracked_pose_speed(c.pose, c.valid, FPS) for c in clips]))
    print(f"real tracks: pose std {', '.join(f'{v:.2f}' for v in real_std)}; speed {real_speed:.1f} deg/s")
    kept, too_fast = TEMPERATURES[0], False
    for temperature in TEMPERATURES:
        speed, std = sampled_motion(model, clips, temperature)
        spread = ", ".join(f"{v:.2f}" for v in std[:3] / np.maximum(real_std[:3], 1e-6))
        print(f"temperature {temperature:.1f}: sampled speed {speed:.1f} deg/s; rotation spread x real {spread}")
        too_fast = too_fast or speed > real_speed
        if not too_fast:
            kept = temperature
    return kept, real_std, real_speed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("runs/data"))
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"))
    parser.add_argument("--exclude", nargs="*", default=list(LAB_CORPORA), help="clip name prefixes to leave out")
    args = parser.parse_args()
    train_clips, _ = split_clips(load_clips(args.data), args.split)
    clips = [clip for clip in train_clips if not clip.name.startswith(tuple(args.exclude))]
    model = HeadPoseModel.from_pretrained(args.model, strict=True)
    temperature, std, speed = calibrate(model, clips)
    model.config.temperature = temperature
    model.config.default_pose_std = tuple(round(float(v), 3) for v in std)
    model.config.default_pose_speed = round(speed, 2)
    model.save_pretrained(args.model)
    print(f"kept temperature {temperature}, default pose std {model.config.default_pose_std}, "
          f"speed {model.config.default_pose_speed} deg/s, from {len(clips)} training clips")  # fmt: skip


if __name__ == "__main__":
    main()
