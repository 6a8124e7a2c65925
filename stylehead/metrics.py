"""Landmark metrics for talking heads.

Lip-sync metrics compare predicted and real landmarks of one clip in the face frame (pose removed,
so head motion does not count), using x and y only: the real landmarks' depth comes from the
template, not from the video. Distances are in percent of the real face's interocular distance.

- ``mouth_corr``: Pearson r between predicted and real mouth opening (inner-lip gap).
- ``lmd``: mouth landmark distance (points 48-67, each frame's mouth centred, as RAD-NeRF and the
  paper's SMD code do), mean over points and frames.
- ``dv``: mouth landmark velocity difference (frame-to-frame motion), mean L2 over points and frames.
- ``da``: open-mouth area difference (inner-lip polygon), mean |A_pred − A_real| over the real
  clip's mean open area, in percent.
"""

import numpy as np

from stylehead.face.landmarks import INNER_LIPS, MOUTH, interocular_distance, mouth_opening


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two (T,) series; 0 when either is constant."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a, b = a - a.mean(), b - b.mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 1e-12 else 0.0


def polygon_area(points: np.ndarray) -> np.ndarray:
    """Shoelace area of (..., N, 2) closed polygons: (...,)."""
    x, y = points[..., 0], points[..., 1]
    return 0.5 * np.abs((x * np.roll(y, -1, axis=-1) - np.roll(x, -1, axis=-1) * y).sum(-1))


def lipsync_metrics(predicted: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """Compare (T, 68, ≥2) predicted and real face-frame landmarks of one clip."""
    predicted, real = predicted[..., :2].astype(np.float64), real[..., :2].astype(np.float64)
    scale = float(np.median(interocular_distance(real))) / 100.0  # → percent of interocular distance
    mouth_p, mouth_r = predicted[:, list(MOUTH)], real[:, list(MOUTH)]
    centred_p = mouth_p - mouth_p.mean(1, keepdims=True)
    centred_r = mouth_r - mouth_r.mean(1, keepdims=True)
    lmd = np.linalg.norm(centred_p - centred_r, axis=-1).mean() / scale
    dv = np.linalg.norm(np.diff(mouth_p, axis=0) - np.diff(mouth_r, axis=0), axis=-1).mean() / scale
    area_p, area_r = polygon_area(predicted[:, list(INNER_LIPS)]), polygon_area(real[:, list(INNER_LIPS)])
    da = np.abs(area_p - area_r).mean() / max(area_r.mean(), 1e-9) * 100.0
    return {
        "mouth_corr": pearson(mouth_opening(predicted), mouth_opening(real)),
        "lmd": float(lmd),
        "dv": float(dv),
        "da": float(da),
    }


# Talking-head metrics (the paper's Table 2) --------------------------------------------------------
#
# Both landmark sets come from the same dlib tracker run on two videos of the same size (generated and
# real). Each frame's landmarks are centred on their mean and divided by their bounding-box width
# (as the AIOZ metric code does), and distances are reported ×100, i.e. in percent of the face width.
# Rotation is kept: a head that turns differently from the real one counts in D-L, as in MakeItTalk.


def normalise_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """(T, 68, ≥2) → (T, 68, 2) float64: centred per frame, in face widths (bounding box) × 100."""
    points = landmarks[..., :2].astype(np.float64)
    width = points[..., 0].max(-1) - points[..., 0].min(-1)
    return (points - points.mean(-2, keepdims=True)) / np.maximum(width, 1e-9)[:, None, None] * 100.0


def talking_head_metrics(generated: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """LMD, D-L, D-V and D-A of (T, 68, ≥2) generated vs real image landmarks of aligned frames.

    - ``dl``: mean distance over all 68 points;
    - ``lmd``: mean distance over the 20 mouth points, each frame's mouth centred;
    - ``dv``: mean distance between the frame-to-frame velocities of all 68 points;
    - ``da``: mean |A_gen − A_real| of the inner-lip polygon area, in percent of the real mean area.
    """
    g, r = normalise_landmarks(generated), normalise_landmarks(real)
    mouth_g, mouth_r = g[:, list(MOUTH)], r[:, list(MOUTH)]
    mouth_g = mouth_g - mouth_g.mean(1, keepdims=True)
    mouth_r = mouth_r - mouth_r.mean(1, keepdims=True)
    area_g, area_r = polygon_area(g[:, list(INNER_LIPS)]), polygon_area(r[:, list(INNER_LIPS)])
    dv = np.linalg.norm(np.diff(g, axis=0) - np.diff(r, axis=0), axis=-1).mean() if len(g) > 1 else 0.0
    return {
        "lmd": float(np.linalg.norm(mouth_g - mouth_r, axis=-1).mean()),
        "dl": float(np.linalg.norm(g - r, axis=-1).mean()),
        "dv": float(dv),
        "da": float(np.abs(area_g - area_r).mean() / max(area_r.mean(), 1e-9) * 100.0),
    }


def cpbd(frames: list[np.ndarray]) -> float:
    """Cumulative probability of blur detection (sharpness, higher is sharper), mean over RGB frames.

    Uses the ``cpbd`` package (Narvekar & Karam's metric, as the paper's baselines report it).
    """
    import cpbd as cpbd_package

    from stylehead.face.detection import to_gray

    return float(np.mean([cpbd_package.compute(to_gray(frame)) for frame in frames]))
