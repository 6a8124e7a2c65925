"""A speaker's rest shape, and motion as displacements from it (the generators' targets and outputs)."""

import numpy as np

from stylehead.face.landmarks import mouth_opening

REST_QUANTILE = 0.2  # the rest shape is the median of the frames whose mouth is in the least-open 20%


def rest_shape(face_points: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """(T, 68, 3) face-frame points → (68, 3): the face with its mouth at rest."""
    points = face_points if valid is None or not valid.any() else face_points[valid]
    opening = mouth_opening(points)
    calm = points[opening <= np.quantile(opening, REST_QUANTILE)]
    return np.median(calm, axis=0).astype(np.float32)


def displacements(face_points: np.ndarray, rest: np.ndarray, points: tuple[int, ...]) -> np.ndarray:
    """(T, 68, 3) points → (T, P, 3) float32 displacements of the chosen landmarks from ``rest``."""
    return (face_points[:, list(points)] - rest[list(points)]).astype(np.float32)


def apply_displacements(rest: np.ndarray, motion: np.ndarray, points: tuple[int, ...]) -> np.ndarray:
    """(68, 3) rest shape + (T, P, 3) displacements → (T, 68, 3) face-frame points."""
    out = np.repeat(rest[None], len(motion), axis=0).astype(np.float32)
    out[:, list(points)] += motion
    return out
