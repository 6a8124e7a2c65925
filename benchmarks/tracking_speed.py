"""Face tracking speed at 512×512 on this machine's CPU.

Target: ≥ 30 frames/s for tracking after the first detection. Baselines run in the same process so
the ratios hold on a noisy machine: decoding alone (the floor) and naive full-frame detection on
every frame (what tracking avoids).

    python benchmarks/tracking_speed.py                  # a synthetic moving-head clip
    python benchmarks/tracking_speed.py --video clip.mp4 # any real clip (resized to 512×512)
"""

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from stylehead.face import FaceTracker, TrackerConfig
from stylehead.face.detection import detect_faces, load_models, predict_landmarks, to_gray
from stylehead.media import VideoReader, VideoWriter, read_image

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "portrait.png"
SIZE = 512


def moving_head_clip(path: Path, frames: int, fps: float = 30.0) -> Path:
    """The example portrait swaying (±6° roll, ±20 px shift) and zooming slightly, as an H.264 clip."""
    image = read_image(EXAMPLE)
    with VideoWriter(path, fps=fps) as writer:
        for t in range(frames):
            phase = 2 * np.pi * t / 90
            matrix = cv2.getRotationMatrix2D((256, 200), 6 * np.sin(phase), 1 + 0.05 * np.sin(phase / 2))
            matrix[:, 2] += [20 * np.sin(phase * 0.7), 10 * np.cos(phase)]
            writer.write(cv2.warpAffine(image, matrix, (SIZE, SIZE), borderMode=cv2.BORDER_REFLECT))
    return path


def load_frames(path: Path) -> list[np.ndarray]:
    frames = []
    for frame in VideoReader(path):
        if frame.shape[:2] != (SIZE, SIZE):
            frame = cv2.resize(frame, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
        frames.append(frame)
    return frames


def rate(count: int, seconds: float) -> float:
    return count / max(seconds, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, help="a real clip (default: a synthetic 300-frame clip)")
    parser.add_argument("--frames", type=int, default=300, help="frames of the synthetic clip")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        clip = args.video or moving_head_clip(Path(tmp) / "clip.mp4", args.frames)
        start = time.perf_counter()
        frames = load_frames(clip)
        decode_fps = rate(len(frames), time.perf_counter() - start)

    start = time.perf_counter()
    load_models()
    load_ms = (time.perf_counter() - start) * 1000
    tracker = FaceTracker(TrackerConfig(smooth=False))
    start = time.perf_counter()
    tracker.update(frames[0])
    first_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    found = sum(tracker.update(frame)[0] is not None for frame in frames[1:])
    track_fps = rate(len(frames) - 1, time.perf_counter() - start)

    naive = frames[: min(60, len(frames))]
    start = time.perf_counter()
    for frame in naive:
        boxes = detect_faces(frame, use_cnn=False)
        if boxes:
            predict_landmarks(to_gray(frame), boxes[0])
    naive_fps = rate(len(naive), time.perf_counter() - start)

    print(f"clip: {clip if args.video else 'synthetic moving head'}, {len(frames)} frames at {SIZE}x{SIZE}")
    print(f"{'stage':<44}{'frames/s':>10}")
    print(f"{'decode only (floor, not included below)':<44}{decode_fps:>10.1f}")
    print(f"{'loading dlib models, once (ms)':<44}{load_ms:>10.1f}")
    print(f"{'first detection (ms)':<44}{first_ms:>10.1f}")
    print(f"{'tracking after first detection':<44}{track_fps:>10.1f}")
    print(f"{'naive: full detection every frame':<44}{naive_fps:>10.1f}")
    print(f"tracking is {track_fps / naive_fps:.1f}x naive detection; face found in {found}/{len(frames) - 1} frames")
    print(f"target >= 30 frames/s: {'met' if track_fps >= 30 else 'NOT met'}")


if __name__ == "__main__":
    main()
