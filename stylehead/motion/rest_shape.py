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


REST_LIP_GAP = 0.04  # median inner-lip gap of the training speakers' rest shapes, in interocular distances
_LOWER_OUTER = {55: 0.5, 56: 0.9, 57: 1.0, 58: 0.9, 59: 0.5}  # share of the mean excess each point moves
_JAW = {5: 0.15, 6: 0.35, 7: 0.6, 8: 0.7, 9: 0.6, 10: 0.35, 11: 0.15}


def close_to_rest(points: np.ndarray, rest_gap: float = REST_LIP_GAP) -> np.ndarray:
    """A (68, 3) face-frame shape with its mouth closed to a rest gap; returns a new array.

    Motion is learned as displacement from a speaker's rest shape (mouth at rest). A portrait
    caught mid-word has an open mouth; adding speech motion to it would leave the mouth open
    through every silence. This lifts the lower lip and jaw by the opening beyond ``rest_gap``
    (interocular distances), pair by pair for the inner lip and in proportion for the rest.
    """
    from stylehead.face.landmarks import INNER_LIP_PAIRS, interocular_distance

    out = points.astype(np.float32).copy()
    upper = np.array([a for a, _ in INNER_LIP_PAIRS])
    lower = np.array([b for _, b in INNER_LIP_PAIRS])
    gap = points[lower] - points[upper]  # (3, 3)
    down = gap.mean(0)
    if np.linalg.norm(down) < 1e-6:
        return out
    down = down / np.linalg.norm(down)
    target = rest_gap * float(interocular_distance(points[None])[0])
    excess = np.maximum(gap @ down - target, 0.0)  # (3,) per pair
    if not excess.any():
        return out
    out[lower] -= excess[:, None] * down
    for index, share in [*_LOWER_OUTER.items(), *_JAW.items()]:
        out[index] -= share * excess.mean() * down
    return out
