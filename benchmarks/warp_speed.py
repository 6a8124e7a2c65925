"""Speed of the piecewise-affine mesh warp at 512×512 (the renderer's core), with baselines.

Prints milliseconds per frame for: the warp, a bare ``cv2.remap`` of the same size (the floor of
any dense warp) and ``cv2.resize`` (a trivial per-frame operation), in the same run.

    python benchmarks/warp_speed.py
"""

import time
from pathlib import Path

import cv2
import numpy as np

from stylehead.face import find_face
from stylehead.media import read_image
from stylehead.render.mesh_warp import border_anchors, build_mesh, face_ring, warp_image

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "portrait.png"


def per_frame_ms(function, repeats: int = 50) -> float:
    function()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - start) / repeats * 1000


def main() -> None:
    image = read_image(EXAMPLE)
    landmarks = find_face(image).landmarks.astype(np.float64)
    mesh = build_mesh(np.concatenate([landmarks, face_ring(landmarks), border_anchors(512, 512)]))
    target = mesh.points.copy()
    target[57:68, 1] += 5
    ring = face_ring(landmarks)
    box = (*np.floor(ring.min(0)).astype(int), *(np.ceil(ring.max(0)).astype(int) + 1))
    maps = np.random.default_rng(0).uniform(0, 511, (2, 512, 512)).astype(np.float32)
    rows = {
        f"mesh warp ({len(mesh.triangles)} triangles)": per_frame_ms(lambda: warp_image(image, mesh, target)),
        "mesh warp inside the face ring": per_frame_ms(lambda: warp_image(image, mesh, target, region=box)),
        "floor: one cv2.remap 512x512": per_frame_ms(lambda: cv2.remap(image, maps[0], maps[1], cv2.INTER_LINEAR)),
        "reference: cv2.resize to 256x256": per_frame_ms(lambda: cv2.resize(image, (256, 256))),
    }
    for name, ms in rows.items():
        print(f"{name:<40}{ms:>8.2f} ms/frame{1000 / ms:>10.0f} frames/s")
    grid_steps(image)


def grid_steps(image: np.ndarray) -> None:
    """The renderer's maps on coarser grids: speed, and PSNR against per-pixel maps on real motion."""
    from stylehead.evaluation.image_metrics import psnr
    from stylehead.media import read_audio
    from stylehead.motion.audio_to_motion import AudioToMotion
    from stylehead.motion.data import resample_motion
    from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer

    audio = read_audio(EXAMPLE.with_name("speech.wav"))[: 4 * 16_000]
    motion = resample_motion(AudioToMotion.from_pretrained()(audio), 30)
    renderer = WarpRenderer(Portrait.from_image(image), RenderConfig(size=512))
    targets = renderer.targets(motion)
    placed = [renderer.rig.place(targets.landmarks[i].astype(np.float64), targets.head[i]) for i in range(len(motion))]
    regions = [renderer.rig.region(points) for points in placed]
    exact = [
        warp_image(renderer.canvas, renderer.rig.mesh, p, r, pinned_border=True)
        for p, r in zip(placed, regions, strict=True)
    ]
    for step in (1, 2, 3, 4):
        frames = [warp_image(renderer.canvas, renderer.rig.mesh, p, r, step=step, pinned_border=True)
                  for p, r in zip(placed, regions, strict=True)]  # fmt: skip
        scores = [psnr(a, b) for a, b in zip(frames, exact, strict=True)] if step > 1 else [float("inf")]

        def one_frame(step: int = step) -> None:
            warp_image(renderer.canvas, renderer.rig.mesh, placed[0], regions[0], step=step, pinned_border=True)

        ms = per_frame_ms(one_frame)
        print(f"renderer maps every {step} px: {ms:6.2f} ms/frame, PSNR vs per-pixel mean {np.mean(scores):.1f} dB, "
              f"worst {np.min(scores):.1f} dB ({len(placed)} frames of the example)")  # fmt: skip


if __name__ == "__main__":
    main()
