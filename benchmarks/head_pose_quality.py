"""Generated head motion against real head motion on held-out speakers.

For each validation clip (preprocessed by train/preprocess.py): generate head poses from the clip's
audio as the video shows them without a style (``AudioToMotion.head_poses``) and compare the
standard deviation of each rotation angle with the real track's (target: the ratio within 0.5-2).
Then drive 60 s of audio (the validation clips' audio, concatenated) and check for drift: the mean
rotation of every 10 s window must stay within one standard deviation (of the whole drive) of zero.
Finally, the same seed must give the same motion.

    python benchmarks/head_pose_quality.py --data runs/data --split train/configs/split.yaml
"""

import argparse
from pathlib import Path

import numpy as np

from stylehead.audio.features import FPS
from stylehead.evaluation.report import write_report
from stylehead.face.pose import relative_pose
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.data import MotionControls
from stylehead.motion.training_data import load_clips, split_clips

AXES = ("pitch", "yaw", "roll")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("runs/data"))
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"))
    parser.add_argument("--weights", help="weights folder or Hub id (default: bundled)")
    parser.add_argument("--temperature", type=float, help="sampling temperature (default: the model's calibrated)")
    parser.add_argument("-o", "--output", type=Path, help="also write the figures as a JSON report")
    args = parser.parse_args()
    model = AudioToMotion.from_pretrained(args.weights)
    _, clips = split_clips(load_clips(args.data), args.split)
    real_std, fake_std = [], []
    print(f"{'clip':<34}" + "".join(f"{'real ' + a:>12}{'gen ' + a:>11}" for a in AXES))
    controls = MotionControls(temperature=args.temperature, seed=0)
    for clip in clips:
        features = {"mel": clip.mel, "phones": clip.phones}
        generated = model.head_poses(features, controls)[:, :3]
        real = relative_pose(clip.pose, clip.valid)[clip.valid][:, :3]
        real_std.append(real.std(0))
        fake_std.append(generated.std(0))
        print(
            f"{clip.name:<34}"
            + "".join(f"{r:>12.2f}{g:>11.2f}" for r, g in zip(real_std[-1], fake_std[-1], strict=True))
        )
    ratio = np.median(np.array(fake_std) / np.maximum(np.array(real_std), 1e-3), axis=0)
    print("median std ratio (generated / real): " + ", ".join(f"{a} {r:.2f}" for a, r in zip(AXES, ratio, strict=True)))
    print(f"target 0.5-2 on every axis: {'met' if ((ratio >= 0.5) & (ratio <= 2)).all() else 'NOT met'}")

    mel = np.concatenate([c.mel for c in clips])
    phones = np.concatenate([c.phones for c in clips])
    frames = 60 * FPS
    long = {"mel": np.resize(mel, (2 * frames, mel.shape[1])), "phones": np.resize(phones, (frames, phones.shape[1]))}
    poses = model.head_poses(long, controls)[:, :3]
    windows = poses[: len(poses) // (10 * FPS) * 10 * FPS].reshape(-1, 10 * FPS, 3)
    means = windows.mean(1)
    spread = poses.std(0)
    print("60 s drive, mean rotation per 10 s window (deg): " + "; ".join(
        ", ".join(f"{v:+.2f}" for v in m) for m in means))  # fmt: skip
    drift = np.abs(means).max(0) / np.maximum(spread, 1e-3)
    verdict = "no drift (all < 1)" if (drift < 1.0).all() else "DRIFT"
    print(f"largest 10 s window mean, in stds of the whole drive: {', '.join(f'{d:.2f}' for d in drift)}; {verdict}")
    again = model.head_poses(long, controls)[:, :3]
    print(f"same seed, same motion: {np.array_equal(poses, again)}")
    if args.output:
        summary = {"std_ratio": dict(zip(AXES, map(float, ratio), strict=True)),
                   "drift": dict(zip(AXES, map(float, drift), strict=True)),
                   "same_seed_same_motion": bool(np.array_equal(poses, again))}  # fmt: skip
        write_report({"summary": summary, "clips": [c.name for c in clips]}, args.output)


if __name__ == "__main__":
    main()
