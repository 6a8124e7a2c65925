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

from stylehead.face.landmarks import INNER_LIPS, MOUTH, RIGID, interocular_distance, mouth_opening


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
# real). Head pose is sampled, not copied from the real clip, so as in MakeItTalk (which reports pose
# separately as D-Rot and D-Pos) the shape metrics are taken with pose removed: every frame is
# aligned by a similarity transform (rotation, scale, shift) of its rigid points (eye corners and
# nose) onto the real clip's first frame, and distances are reported in percent of that frame's
# landmark bounding-box width (the AIOZ metric code's normaliser, ×100).


def align_to(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(T, 68, ≥2) landmarks → (T, 68, 2): each frame's rigid points fitted onto (68, 2) ``reference``'s."""
    points = landmarks[..., :2].astype(np.float64)
    rigid = list(RIGID)
    src = points[:, rigid]  # (T, R, 2)
    dst = reference[rigid, :2].astype(np.float64)
    src_mean, dst_mean = src.mean(1, keepdims=True), dst.mean(0)
    a, b = src - src_mean, dst - dst_mean
    # Closed-form 2D similarity: z_dst ≈ s·e^{iθ}·z_src with complex numbers.
    za, zb = a[..., 0] + 1j * a[..., 1], b[:, 0] + 1j * b[:, 1]
    factor = (np.conj(za) * zb).sum(1) / np.maximum((np.abs(za) ** 2).sum(1), 1e-12)  # (T,)
    z = (points[..., 0] + 1j * points[..., 1]) - (src_mean[..., 0] + 1j * src_mean[..., 1])
    moved = z * factor[:, None] + (dst_mean[0] + 1j * dst_mean[1])
    return np.stack([moved.real, moved.imag], axis=-1)


def normalise_landmarks(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(T, 68, ≥2) → (T, 68, 2): aligned onto ``reference`` (68, 2), in % of its bounding-box width."""
    width = float(reference[:, 0].max() - reference[:, 0].min())
    return align_to(landmarks, reference) / max(width, 1e-9) * 100.0


def talking_head_metrics(generated: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """LMD, D-L, D-V and D-A of (T, 68, ≥2) generated vs real image landmarks of paired frames.

    - ``dl``: mean distance over all 68 points;
    - ``lmd``: mean distance over the 20 mouth points, each frame's mouth centred;
    - ``dv``: mean distance between the frame-to-frame velocities of all 68 points;
    - ``da``: mean |A_gen − A_real| of the inner-lip polygon area, in percent of the real mean area.
    """
    reference = real[0, :, :2].astype(np.float64)
    g, r = normalise_landmarks(generated, reference), normalise_landmarks(real, reference)
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
