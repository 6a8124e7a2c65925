"""Does the warp renderer show what it is told, and leave the rest alone?

On portraits and an audio clip (default: the bundled example), at 512×512, 30 fps:

1. animate each portrait, re-track the written mp4 with the dlib tracker and compare with the
   commanded landmarks: mouth-opening Pearson r (target ≥ 0.9), mean landmark error in interocular
   distances (target ≤ 0.03), and how open the re-tracked mouth reads against the command; with
   ``--sheet``, tile each portrait's four most open frames (by command) into one image to look at
   (teeth, cavity, lips);
2. render zero motion (the first portrait's own landmarks and pose) and compare with the source:
   PSNR (target ≥ 35 dB), crop and full mode;
3. the mean grey-level change outside the head and torso over the first portrait's animated
   frames (target < 2).

    python benchmarks/render_fidelity.py [--images I1 I2 ... --audio A --mouth-scale 1.0 --sheet open.jpg]
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

from stylehead.evaluation.image_metrics import psnr
from stylehead.evaluation.render_fidelity import background_change, body_mask, retrack_fidelity
from stylehead.evaluation.report import write_report
from stylehead.face.tracking import track_video
from stylehead.media import read_image
from stylehead.motion.data import Motion
from stylehead.pipeline import StyleHeadPipeline
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def zero_motion(points: tuple[int, ...], count: int) -> Motion:
    return Motion(points, np.zeros((count, len(points), 3), np.float32), np.zeros((count, 6), np.float32),
                  np.zeros(count, np.float32), 30.0)  # fmt: skip


def animate_and_retrack(pipeline: StyleHeadPipeline, image: Path, audio: Path, mouth_scale: float, seed: int):
    """(result, re-tracking scores, the four most open frames by command) of one portrait."""
    from stylehead.face.landmarks import mouth_opening
    from stylehead.media import VideoReader

    with tempfile.TemporaryDirectory() as folder:
        result = pipeline(image, audio, Path(folder) / "out.mp4", mouth_scale=mouth_scale, seed=seed)
        track = track_video(result.video)
        opening = mouth_opening(result.landmarks)
        wanted = set(np.argsort(opening)[-4:].tolist())
        frames = [frame.copy() for index, frame in enumerate(VideoReader(result.video)) if index in wanted]
    count = min(len(track), len(result.landmarks))
    scores = retrack_fidelity(track.landmarks[:count], track.valid[:count], result.landmarks[:count])
    return result, {**scores, "frames": count}, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, nargs="+", default=[EXAMPLES / "portrait.png"])
    parser.add_argument("--audio", type=Path, default=EXAMPLES / "speech.wav")
    parser.add_argument("--mouth-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sheet", type=Path, help="write the most open frames of every portrait here (jpg)")
    parser.add_argument("-o", "--output", type=Path, help="also write the figures as a JSON report")
    args = parser.parse_args()
    pipeline = StyleHeadPipeline.from_pretrained()
    rows, open_frames, first = [], [], None
    for image in args.images:
        result, scores, frames = animate_and_retrack(pipeline, image, args.audio, args.mouth_scale, args.seed)
        first = first or result
        rows.append({"portrait": image.name, **scores})
        open_frames += frames
        print(f"{image.name}: re-tracked {scores['frames']} frames ({100 * scores['valid_share']:.1f}% with a face): "
              f"mouth opening r = {scores['mouth_corr']:.3f} (target >= 0.9), "
              f"landmark error = {100 * scores['landmark_error']:.2f}% of the interocular distance "
              f"(target <= 3%), mean opening re-tracked / commanded = {scores['opening_ratio']:.2f}")  # fmt: skip
    if len(rows) > 1:
        print(f"mean over {len(rows)} portraits: r = {np.mean([r['mouth_corr'] for r in rows]):.3f} "
              f"(lowest {min(r['mouth_corr'] for r in rows):.3f}), landmark error "
              f"{100 * np.mean([r['landmark_error'] for r in rows]):.2f}%")  # fmt: skip
    if args.sheet is not None:
        from stylehead.pipeline import write_contact_sheet

        print(f"most open frames: {write_contact_sheet(open_frames, args.sheet, columns=4, width=1600)}")
    result = first

    image = read_image(args.images[0])
    portrait = Portrait.from_image(image)
    still = {}
    for mode in ("crop", "full"):
        renderer = WarpRenderer(portrait, RenderConfig(mode=mode, size=512))
        motion = zero_motion(pipeline.motion_model.points, 3)
        motion.displacement[:] = portrait.own_displacement(motion.points)  # the photo's own face, unmoved
        targets = renderer.targets(motion)
        frame = renderer.render(targets.landmarks[0], targets.head[0])
        difference = int(np.abs(frame.astype(int) - renderer.canvas.astype(int)).max())
        still[mode] = {"psnr": psnr(frame, renderer.canvas), "max_difference": difference}
        print(f"zero motion, {mode} mode: PSNR {psnr(frame, renderer.canvas):.1f} dB, largest pixel difference "
              f"{difference} (the photo itself: 0)")  # fmt: skip

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
    if args.output:
        summary = {"portraits": {row["portrait"]: {k: v for k, v in row.items() if k != "portrait"} for row in rows},
                   "zero_motion_max_difference": max(m["max_difference"] for m in still.values()),
                   "background_change": change, "background_share": float((~mask).mean())}  # fmt: skip
        write_report({"summary": summary, "audio": args.audio.name, "seed": args.seed}, args.output)


if __name__ == "__main__":
    main()
