"""Does a rendered video show what was commanded? Measurements shared by the tests and benchmarks.

- :func:`retrack_fidelity`: track the rendered video with the same dlib tracker as everything else
  and compare with the landmarks the renderer was told to produce (mouth-opening correlation, mean
  landmark error in interocular distances).
- :func:`background_change`: the mean absolute change, in grey levels, of the pixels outside the
  head and torso (the rig's moving parts, with the body continuing down to the bottom edge).
- :func:`psnr`.
"""

import numpy as np

from stylehead.correlation import pearson
from stylehead.face.landmarks import interocular_distance, mouth_opening
from stylehead.render.head_rig import HeadRig


def retrack_fidelity(tracked: np.ndarray, valid: np.ndarray, commanded: np.ndarray) -> dict[str, float]:
    """Compare (T, 68, 2) re-tracked landmarks (``valid`` (T,) frames only) with commanded ones."""
    tracked, commanded = tracked[valid, :, :2], commanded[valid, :, :2]
    scale = interocular_distance(commanded)
    error = np.linalg.norm(tracked - commanded, axis=-1).mean(1) / np.maximum(scale, 1e-6)
    return {
        "mouth_corr": pearson(mouth_opening(tracked), mouth_opening(commanded)),
        # > 1: the rendered mouth reads as more open than commanded
        "opening_ratio": float(mouth_opening(tracked).mean() / max(mouth_opening(commanded).mean(), 1e-9)),
        "landmark_error": float(error.mean()),  # interocular distances
        "valid_share": float(valid.mean()) if len(valid) else 0.0,
    }


def body_mask(rig: HeadRig, shape: tuple[int, int], targets: list[np.ndarray] | None = None) -> np.ndarray:
    """(H, W) bool: the head, face, neck and torso of the rig (at rest and at every target), down to the bottom."""
    import cv2

    mask = np.zeros(shape, np.uint8)
    for points in [rig.points, *(targets or [])]:
        body = points[: rig.torso.stop]
        low = body[rig.torso] if rig.torso.stop > rig.torso.start else body  # (torso points off the frame are left out)
        extended = np.concatenate([body, [[low[:, 0].min(), shape[0] + 1], [low[:, 0].max(), shape[0] + 1]]])
        hull = cv2.convexHull(np.round(extended).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(bool)


def background_change(frames: list[np.ndarray], source: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute grey-level change, outside ``mask``, of ``frames`` against ``source``."""
    outside = ~mask
    if not outside.any():
        return 0.0
    grey = source.astype(np.float32).mean(-1)
    changes = [np.abs(frame.astype(np.float32).mean(-1) - grey)[outside].mean() for frame in frames]
    return float(np.mean(changes))
