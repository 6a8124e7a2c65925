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
- ``amplitude``: how far the predicted mouth opens and closes against the real one, the ratio of
  the standard deviations of their openings (1 = as much; a mouth that mumbles is well below 1).
- ``closure``: how far the predicted mouth closes against the real one, the ratio of the 5%
  quantiles of their openings (1 = as far; above 1, it never quite closes).
"""

import numpy as np

from stylehead.correlation import pearson
from stylehead.face.detection import to_gray
from stylehead.face.landmarks import INNER_LIPS, MOUTH, RIGID, interocular_distance, mouth_opening


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
    opening_p, opening_r = mouth_opening(predicted), mouth_opening(real)
    return {
        "mouth_corr": pearson(opening_p, opening_r),
        "lmd": float(lmd),
        "dv": float(dv),
        "da": float(da),
        "amplitude": float(opening_p.std() / max(opening_r.std(), 1e-9)),
        "closure": float(np.quantile(opening_p, 0.05) / max(np.quantile(opening_r, 0.05), 1e-6)),
    }


RATIO_METRICS = ("amplitude", "closure")  # summarised over clips by their median (a ratio's mean is skewed)


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


    return float(np.mean([cpbd_package.compute(to_gray(frame)) for frame in frames]))


# Style metrics (the paper's §7.2.1, equations 14-16) -------------------------------------------------
#
# A reference video and a generated one (different faces, any lengths) are cut into windows of F
# frames every v frames; for each reference window the best-matching generated window is found,
# and the distances are averaged over reference windows (eq. 14-16), then over a grid of (F, v).
# The per-frame terms follow the paper's released metric code: landmarks anchored at their bounding
# box's top-left corner and divided by its width (×100) for D-L (SLD) and for velocities (SLV); for
# LMD (SMD) the 20 mouth points centred on their mean, here also divided by the bounding-box width
# (×100) instead of being measured in pixels of 512×512 frames, so that videos of any resolution
# compare. Each window's distance is the mean of its own frames' terms (the released code keeps a
# running mean across windows by mistake; this does not).
#
# Every window pair of every F is read off diagonal prefix sums of one frame-by-frame distance
# matrix, so the whole grid costs about as much as that matrix.

STYLE_WINDOWS = tuple(range(1, 101))  # F: the paper's grid, 1..100 frames
STYLE_STRIDES = tuple(range(1, 21))  # v: 1..20 frames


def _anchored(landmarks: np.ndarray) -> np.ndarray:
    points = landmarks[..., :2].astype(np.float64)
    width = points[..., 0].max(-1) - points[..., 0].min(-1)
    return (points - points.min(-2, keepdims=True)) / np.maximum(width, 1e-9)[..., None, None] * 100.0


def _mouth_centred(landmarks: np.ndarray) -> np.ndarray:
    points = landmarks[..., :2].astype(np.float64)
    width = points[..., 0].max(-1) - points[..., 0].min(-1)
    mouth = points[..., list(MOUTH), :]
    return (mouth - mouth.mean(-2, keepdims=True)) / np.maximum(width, 1e-9)[..., None, None] * 100.0


def _velocities(landmarks: np.ndarray) -> np.ndarray:
    """(T, 68, ≥2) → (T−1, 68, 2): frame-to-frame motion of the anchored points, in % of the width."""
    points = landmarks[..., :2].astype(np.float64)
    anchored = points - points.min(-2, keepdims=True)
    width = points[1:, :, 0].max(-1) - points[1:, :, 0].min(-1)
    return (anchored[1:] - anchored[:-1]) / np.maximum(width, 1e-9)[:, None, None] * 100.0


def frame_distances(reference: np.ndarray, generated: np.ndarray) -> np.ndarray:
    """(Ns, P, 2) and (Na, P, 2) per-frame point sets → (Ns, Na): mean point distance of every pair."""
    out = np.empty((len(reference), len(generated)))
    for start in range(0, len(reference), 256):  # bounded memory: 256 × Na × P × 2 floats at a time
        block = reference[start : start + 256, None] - generated[None]
        out[start : start + 256] = np.linalg.norm(block, axis=-1).mean(-1)
    return out


def windowed_min_mean(distances: np.ndarray, windows=STYLE_WINDOWS, strides=STYLE_STRIDES) -> dict:
    """Eq. 14-16 on a (Ns, Na) frame distance matrix, for every (F, v) of the grid.

    Returns ``{"mean": grid average, "grid": {(F, v): value}}``; (F, v) pairs with no window in one of
    the videos (F longer than it) are left out.
    """
    ns, na = distances.shape
    # suffix[i, j] = Σ_k distances[i + k, j + k] (along the diagonal, to its end)
    suffix = np.zeros((ns + 1, na + 1))
    for i in range(ns - 1, -1, -1):
        suffix[i, :na] = distances[i] + suffix[i + 1, 1:]
    grid = {}
    for frames in windows:
        if frames > min(ns, na):
            break
        window = (suffix[: ns - frames + 1, : na - frames + 1] - suffix[frames:, frames:]) / frames
        for stride in strides:
            best = window[::stride, ::stride].min(axis=1)  # the best-matching generated window
            grid[(frames, stride)] = float(best.mean())
    return {"mean": float(np.mean(list(grid.values()))) if grid else float("nan"), "grid": grid}


def style_metrics(reference: np.ndarray, generated: np.ndarray, windows=STYLE_WINDOWS, strides=STYLE_STRIDES
                  ) -> dict[str, float]:  # fmt: skip
    """SLD, SLV and SMD of (Ns, 68, ≥2) reference and (Na, 68, ≥2) generated landmarks (lower is closer)."""
    sld = windowed_min_mean(frame_distances(_anchored(reference), _anchored(generated)), windows, strides)
    slv = windowed_min_mean(frame_distances(_velocities(reference), _velocities(generated)), windows, strides)
    smd = windowed_min_mean(frame_distances(_mouth_centred(reference), _mouth_centred(generated)), windows, strides)
    return {"sld": sld["mean"], "slv": slv["mean"], "smd": smd["mean"]}
