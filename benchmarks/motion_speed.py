"""Speed and memory of the audio → motion stage on this CPU.

Targets: motion generation (mouth/eye generator + head pose sampling + blinks, from features) at
≥ 1,000 frames/s; 10 minutes of audio end to end (features included) under 1.5 GB peak memory.
Feature extraction (log-mel, phones, APC if used) is timed separately in the same run. The input
is the bundled example speech, repeated to the requested length.

    python benchmarks/motion_speed.py                       # 60 s speed run + 10 min memory run
    python benchmarks/motion_speed.py --weights runs/bundle # other weights
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "speech.wav"


def long_audio(seconds: float) -> np.ndarray:
    from stylehead.media import read_audio

    speech = read_audio(EXAMPLE)
    return np.resize(speech, int(seconds * 16_000)).astype(np.float32)


def speed(weights: str | None, seconds: float) -> dict:
    from stylehead.motion.audio_to_motion import AudioToMotion
    from stylehead.motion.blinks import BlinkConfig, blink_curve
    from stylehead.motion.data import MotionControls

    model = AudioToMotion.from_pretrained(weights)
    audio = long_audio(seconds)
    start = time.perf_counter()
    features = model.audio_features(audio)
    feature_s = time.perf_counter() - start
    start = time.perf_counter()
    mouth = model.mouth_and_eyes(features)
    mouth_s = time.perf_counter() - start
    start = time.perf_counter()
    pose = model.head_poses(features, MotionControls(seed=0))  # sampled, smoothed and given its spread
    pose_s = time.perf_counter() - start
    start = time.perf_counter()
    blink_curve(len(mouth), 60.0, BlinkConfig(), np.random.default_rng(0))
    blink_s = time.perf_counter() - start
    frames = len(mouth)
    again = model(audio[: 16_000 * 5], MotionControls(seed=7)).pose
    same = np.array_equal(again, model(audio[: 16_000 * 5], MotionControls(seed=7)).pose)
    return {
        "audio_seconds": seconds,
        "frames": frames,
        "features_fps": frames / feature_s,
        "mouth_eye_generator_fps": frames / mouth_s,
        "head_pose_fps": frames / pose_s,
        "blinks_fps": frames / max(blink_s, 1e-9),
        "motion_generation_fps": frames / (mouth_s + pose_s + blink_s),
        "pose_std_deg": pose[:, :3].std(0).round(3).tolist(),
        "same_seed_same_motion": bool(same),
    }


def memory(weights: str | None, seconds: float) -> dict:
    """Run the whole stage on ``seconds`` of audio in a fresh process and read its peak memory."""
    command = [sys.executable, __file__, "--child-seconds", str(seconds)]
    if weights:
        command += ["--weights", weights]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["wall_seconds"] = time.perf_counter() - start
    return report


def child(weights: str | None, seconds: float) -> None:
    """The measured process: motion for ``seconds`` of audio, then its peak resident memory."""
    from stylehead.motion.audio_to_motion import AudioToMotion

    motion = AudioToMotion.from_pretrained(weights)(long_audio(seconds))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"frames": len(motion), "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="weights folder or Hub id (default: bundled)")
    parser.add_argument("--seconds", type=float, default=60.0, help="audio length of the speed run")
    parser.add_argument("--memory-seconds", type=float, default=600.0, help="audio length of the memory run")
    parser.add_argument("--child-seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_seconds:
        child(args.weights, args.child_seconds)
        return
    result = speed(args.weights, args.seconds)
    print(f"speed run: {args.seconds:.0f} s of audio = {result['frames']} frames at 60 fps")
    for key in ("features_fps", "mouth_eye_generator_fps", "head_pose_fps", "blinks_fps", "motion_generation_fps"):
        print(f"  {key:<28}{result[key]:>12.0f} frames/s")
    print(
        f"  sampled head rotation std (deg): {result['pose_std_deg']}; same seed, same motion: "
        f"{result['same_seed_same_motion']}"
    )
    verdict = "met" if result["motion_generation_fps"] >= 1000 else "NOT met"
    print(f"  target motion generation >= 1000 frames/s: {verdict}")
    peak = memory(args.weights, args.memory_seconds)
    print(
        f"memory run: {args.memory_seconds / 60:.0f} min of audio, {peak['frames']} frames, "
        f"peak {peak['peak_mb']:.0f} MB, {peak['wall_seconds']:.0f} s wall"
    )
    print(f"  target peak < 1500 MB: {'met' if peak['peak_mb'] < 1500 else 'NOT met'}")


if __name__ == "__main__":
    main()
