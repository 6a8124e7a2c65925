"""Does the warp renderer show what it is told, and leave the rest alone?

On a portrait and an audio clip (default: the bundled example), at 512×512, 30 fps:

1. animate, re-track the written mp4 with the dlib tracker and compare with the commanded
   landmarks: mouth-opening Pearson r (target ≥ 0.9) and mean landmark error in interocular
   distances (target ≤ 0.03);
2. render zero motion (the photo's own landmarks and pose) and compare with the source: PSNR
   (target ≥ 35 dB), crop and full mode;
3. the mean grey-level change outside the head and torso over the animated frames (target < 2).

    python benchmarks/render_fidelity.py [--image I --audio A --mouth-scale 1.0]
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

from stylehead.face.tracking import track_video
from stylehead.media import read_image
from stylehead.motion.audio_to_motion import Motion
from stylehead.pipeline import StyleHeadPipeline
from stylehead.render.fidelity import background_change, body_mask, psnr, retrack_fidelity
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def zero_motion(points: tuple[int, ...], count: int) -> Motion:
    return Motion(points, np.zeros((count, len(points), 3), np.float32), np.zeros((count, 6), np.float32),
                  np.zeros(count, np.float32), 30.0)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", type=Path, default=EXAMPLES / "portrait.png")
    parser.add_argument("--audio", type=Path, default=EXAMPLES / "speech.wav")
    parser.add_argument("--mouth-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pipeline = StyleHeadPipeline.from_pretrained()
    with tempfile.TemporaryDirectory() as folder:
        result = pipeline(args.image, args.audio, Path(folder) / "out.mp4", mouth_scale=args.mouth_scale,
                          seed=args.seed)  # fmt: skip
        track = track_video(result.video)
    count = min(len(track), len(result.landmarks))
    scores = retrack_fidelity(track.landmarks[:count], track.valid[:count], result.landmarks[:count])
    print(f"re-tracked {count} frames ({100 * scores['valid_share']:.1f}% with a face): "
          f"mouth opening r = {scores['mouth_corr']:.3f} (target >= 0.9), "
          f"landmark error = {100 * scores['landmark_error']:.2f}% of the interocular distance "
          f"(target <= 3%), mean opening re-tracked / commanded = {scores['opening_ratio']:.2f}")  # fmt: skip

    image = read_image(args.image)
    portrait = Portrait.from_image(image)
    for mode in ("crop", "full"):
        renderer = WarpRenderer(portrait, RenderConfig(mode=mode, size=512))
        motion = zero_motion(pipeline.motion_model.points, 3)
        motion.displacement[:] = portrait.own_displacement(motion.points)  # the photo's own face, unmoved
        targets = renderer.targets(motion)
        frame = renderer.render(targets.landmarks[0], targets.head[0])
        print(f"zero motion, {mode} mode: PSNR {psnr(frame, renderer.canvas):.1f} dB (target >= 35)")

    renderer = WarpRenderer(portrait, RenderConfig(mode="crop", size=512))
    targets = renderer.targets(result.motion)
    frames, placed = [], []
    for index in range(0, len(result.motion), 3):
        frames.append(renderer.render(targets.landmarks[index], targets.head[index]).copy())
        placed.append(renderer.rig.place(targets.landmarks[index].astype(np.float64), targets.head[index]))
    mask = body_mask(renderer.rig, renderer.canvas.shape[:2], placed)
    change = background_change(frames, renderer.canvas, mask)
    print(f"outside the head and torso ({100 * (~mask).mean():.0f}% of the frame): mean change {change:.2f} "
          f"grey levels over {len(frames)} frames (target < 2)")  # fmt: skip


if __name__ == "__main__":
    main()
