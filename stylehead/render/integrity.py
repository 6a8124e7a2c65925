"""Keeping the warp honest: no folded triangles, no samples from outside the picture, bounded poses.

A piecewise-affine warp can show any motion its mesh can follow without folding over itself. When a
style's head track, an extreme control (``--head-motion-scale 3``, ``--mouth-scale 2``) or a
tracking glitch asks for more, triangles change orientation and the picture tears: features fold
over each other, and pixels come from outside the source. This module measures that and limits
the motion, smoothly in time, to what the mesh can show:

- :func:`limit_pose` bounds the head's total rotation (the portrait's own pose plus the motion) with
  a smooth saturation: a 2D warp of one photo cannot show a head turned much further than the photo.
- :func:`fold_free_scale` finds, for each frame, the largest share of the frame's motion (landmarks and
  head together) for which no triangle changes orientation; :func:`limit_folds` applies it, smoothed so
  that the limit eases in and out instead of snapping.
"""

import numpy as np

from stylehead.easing import ease_towards
from stylehead.face.landmarks import LEFT_EYELIDS, RIGHT_EYELIDS

# The head's total rotation (portrait + motion) is kept within these (degrees, pitch/yaw/roll) and
# its translation (mm) within ± these: beyond them the warp of a single photo would have to invent
# the far side of the face.
POSE_LIMITS = (20.0, 30.0, 20.0, 30.0, 30.0, 60.0)
FOLD_TOLERANCE = 0.5  # px²: a triangle's signed area may dip this far past zero (a shut eye, a closed mouth)
LIMIT_MARGIN = 0.01  # px²: the fold limit keeps triangles this far above their floor, so that storing the
# limited landmarks in float32 (a rounding of ~1e-4 px at 512 px) cannot tip one past it
EASE_FRAMES = 8  # the limit eases in and out over this many frames either side
IDENTITY = np.array([[1.0, 0, 0], [0, 1.0, 0]])  # the (2, 3) head affine of a head that has not moved


def signed_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(..., M) signed areas of ``triangles`` ((M, 3) indices) over points (..., N, 2)."""
    a, b, c = (points[..., triangles[:, k], :] for k in range(3))
    return 0.5 * ((b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0]))


def reference_orientation(layout: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(M,) ±1: each triangle's orientation in the triangulation's layout (the picture with the lips and
    eyelids pulled apart), the one every frame must keep. (A photo whose tracked inner lips cross has
    a few triangles the other way round; see :func:`fold_floors`.)"""
    return np.sign(signed_areas(layout, triangles))


def fold_floors(source: np.ndarray, triangles: np.ndarray, orientation: np.ndarray) -> np.ndarray:
    """(M,) the lowest oriented area (px²) each triangle may reach: −:data:`FOLD_TOLERANCE`, or as far
    below as the picture itself has it (a photo's crossed inner lips are no tear of ours)."""
    own = signed_areas(source, triangles) * orientation
    return np.minimum(own, 0.0) - FOLD_TOLERANCE


def folded(target: np.ndarray, triangles: np.ndarray, orientation: np.ndarray,
           floors: np.ndarray | float = -FOLD_TOLERANCE) -> np.ndarray:  # fmt: skip
    """(...,) number of triangles turned over on (..., N, 2) target points: oriented area below their floor."""
    return (signed_areas(target, triangles) * orientation < floors).sum(-1)


UPPER_INNER_LIP = (60, 61, 62, 63, 64)
LOWER_INNER_LIP = (60, 67, 66, 65, 64)


def uncross(landmarks: np.ndarray) -> np.ndarray:
    """(T, 68, 2) canvas landmarks whose inner lips and eyelids do not cross.

    A mouth shut tighter than closed, or an eye more than shut, cannot be drawn without folding the
    mesh. In the face's own axes (across the eyes, and down), each lower inner-lip point is kept
    no higher than the upper inner lip at its place across the mouth, then each upper point no lower
    than the lower lip; each lower eyelid point no higher than its upper one (they meet half-way).
    """

    out = np.array(landmarks, dtype=np.float64, copy=True)
    across = out[:, 45] - out[:, 36]
    across /= np.maximum(np.linalg.norm(across, axis=-1, keepdims=True), 1e-9)
    down = np.stack([-across[:, 1], across[:, 0]], -1)  # (T, 2), towards the chin
    u = np.einsum("tpd,td->tp", out, across)
    v = np.einsum("tpd,td->tp", out, down)
    v_new = v.copy()
    upper, lower = list(UPPER_INNER_LIP), list(LOWER_INNER_LIP)
    for t in range(len(out)):
        order_u = np.argsort(u[t, upper])
        ceiling = np.interp(u[t, lower[1:-1]], u[t, upper][order_u], v_new[t, upper][order_u])
        v_new[t, lower[1:-1]] = np.maximum(v_new[t, lower[1:-1]], ceiling)
        order_l = np.argsort(u[t, lower])
        floor = np.interp(u[t, upper[1:-1]], u[t, lower][order_l], v_new[t, lower][order_l])
        v_new[t, upper[1:-1]] = np.minimum(v_new[t, upper[1:-1]], floor)
    for top, bottom in RIGHT_EYELIDS + LEFT_EYELIDS:
        crossed = v_new[:, bottom] < v_new[:, top]
        middle = (v_new[crossed, bottom] + v_new[crossed, top]) / 2
        v_new[crossed, bottom] = v_new[crossed, top] = middle
    return out + (v_new - v)[..., None] * down[:, None, :]


def soft_clip(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Values eased smoothly into [low, high] (low ≤ 0 ≤ high): each side is left as it is over the
    first half of its room and approaches its bound beyond, so zero stays zero."""
    values = np.asarray(values, np.float64)
    high, low = np.broadcast_to(high, values.shape), np.broadcast_to(low, values.shape)
    bound = np.maximum(np.where(values >= 0, high, -low), 1e-9)  # the room on each value's own side
    return np.sign(values) * ease_towards(np.abs(values), bound / 2, bound)


def limit_pose(own: np.ndarray, motion: np.ndarray) -> np.ndarray:
    """(T, 6) head motion (degrees, mm) whose total with the portrait's own pose ((6,), same units)
    stays within :data:`POSE_LIMITS`, eased smoothly (see :func:`soft_clip`)."""
    limits = np.asarray(POSE_LIMITS)
    own = np.asarray(own, np.float64)
    # the photo's own pose is what it shows: the motion may always return to it
    low, high = np.minimum(-limits - own, 0.0), np.maximum(limits - own, 0.0)
    return soft_clip(np.asarray(motion, np.float64), low, high).astype(np.float32)


def fold_free_scale(rig, rest: np.ndarray, landmarks: np.ndarray, heads: np.ndarray, steps: int = 10) -> np.ndarray:
    """(T,) the largest share α ∈ [0, 1] of each frame's motion with no folded triangle (none within
    :data:`LIMIT_MARGIN` of its floor).

    ``rig`` is the portrait's :class:`~stylehead.render.head_rig.HeadRig`; ``rest`` (68, 2) is where
    the landmarks are at α = 0 (the photo), ``landmarks`` (T, 68, 2) and ``heads`` (T, 2, 3) the
    frames' motion at α = 1.
    """
    scale = np.ones(len(landmarks))
    for t in np.flatnonzero(_near_folds(rig, rig.place_all(landmarks, heads))):
        low, high = 0.0, 1.0
        for _ in range(steps):
            middle = (low + high) / 2
            low, high = (middle, high) if _folds_at(rig, rest, landmarks[t], heads[t], middle) == 0 else (low, middle)
        scale[t] = low
    return scale


def _near_folds(rig, target: np.ndarray) -> np.ndarray:
    """(...,) triangles of (..., N, 2) placed points below their floor or within :data:`LIMIT_MARGIN` of it."""
    return folded(target, rig.mesh.triangles, rig.orientation, rig.floors + LIMIT_MARGIN)


def _folds_at(rig, rest: np.ndarray, landmarks: np.ndarray, head: np.ndarray, alpha: float) -> int:
    """Triangles near folding (:func:`_near_folds`) of one frame with its motion ((68, 2) landmarks, (2, 3)
    head) scaled by ``alpha``."""
    target = rig.place(rest + alpha * (landmarks - rest), IDENTITY + alpha * (head - IDENTITY))
    return int(_near_folds(rig, target))


def eased(scale: np.ndarray, frames: int = EASE_FRAMES) -> np.ndarray:
    """(T,) ``scale`` eased in time and never above it: a running minimum over ±``frames``, then a
    moving average over the same span (each average is of minima that include the frame itself)."""
    if frames <= 0 or scale.min() >= 1.0:
        return scale
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    low = minimum_filter1d(scale, 2 * frames + 1, mode="nearest")
    return np.minimum(uniform_filter1d(low, 2 * frames + 1, mode="nearest"), scale)


def limit_folds(rig, rest: np.ndarray, landmarks: np.ndarray, heads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(landmarks, heads): the frames' motion scaled by the eased fold-free share of it (arguments as
    :func:`fold_free_scale`)."""
    scale = eased(fold_free_scale(rig, rest, landmarks, heads))
    if scale.min() >= 1.0:
        return landmarks, heads
    for t in np.flatnonzero(scale < 1.0):  # folding need not grow steadily with α: check each eased frame
        while scale[t] > 0 and _folds_at(rig, rest, landmarks[t], heads[t], scale[t]):
            scale[t] = scale[t] / 2 if scale[t] > 1 / 64 else 0.0
    share = scale[:, None, None]
    return rest + share * (landmarks - rest), IDENTITY + share * (heads - IDENTITY)
