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


if __name__ == "__main__":
    main()
