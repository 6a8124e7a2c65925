"""A face's persistent expression: where its brows, eyelids and mouth corners sit against the mean face.

A style's reference may hold one expression for a whole clip (brows drawn down, mouth corners pulled
down, eyes narrowed): it is in every frame, so it is in the reference's rest shape, and motion
measured from that rest never shows it. Here it is measured against the neutral mean face
(:func:`~stylehead.face.pose.load_template`, aligned to the face by a similarity transform on the
rigid points: eye corners and nose), on the points an expression moves (:data:`EXPRESSION_POINTS`),
in the image plane (x, y), in interocular distances so that it carries to any face's proportions.

Retargeting (:func:`retarget`) moves a portrait's rest shape so that its expression becomes the
reference's (its own expression is taken out, the reference's put in), scaled by a strength. What is
measured is partly identity (a person's brows sit where they sit), so the offset is bounded
(:data:`MAX_OFFSET`) and the points are few. Where the mouth sits under the nose is the person (and
an estimate of a rest from a clip that never rests moves it too), and only the upper lip's line is
among the points: carried as it is, a lower-sitting mouth would pull the upper lip down onto the
lower one and thin the lips. So the mouth's shape is carried relative to the centre of its upper lip
(:data:`MOUTH_ANCHOR`): corners raised or drawn down, a wider or narrower mouth, a crooked one.
"""

import numpy as np

from stylehead.face.landmarks import LEFT_BROW, RIGHT_BROW, RIGID, interocular_distance
from stylehead.face.pose import load_template

EYELIDS = (37, 38, 40, 41, 43, 44, 46, 47)  # the upper and lower lid points (not the eye corners)
MOUTH_SHAPE = (48, 49, 50, 51, 52, 53, 54, 60, 64)  # corners (outer, inner) and the upper lip's line
EXPRESSION_POINTS = RIGHT_BROW + LEFT_BROW + EYELIDS + MOUTH_SHAPE
MOUTH_ANCHOR = (50, 51, 52)  # the upper lip's centre: the mouth's shape is carried relative to it
MAX_OFFSET = 0.12  # interocular distances: no point is moved further than this by an expression


def _similarity(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(scale, rotation (3, 3), translation (3,)) taking (N, 3) ``source`` closest to ``target`` (Umeyama)."""
    mu_s, mu_t = source.mean(0), target.mean(0)
    s, t = source - mu_s, target - mu_t
    u, sigma, vt = np.linalg.svd(t.T @ s / len(s))
    d = np.eye(3)
    d[2, 2] = np.sign(np.linalg.det(u @ vt))
    rotation = u @ d @ vt
    scale = float(np.trace(np.diag(sigma) @ d) / max((s**2).sum() / len(s), 1e-12))
    return scale, rotation, mu_t - scale * rotation @ mu_s


def expression_of(shape: np.ndarray) -> np.ndarray:
    """(68, 3) face-frame points → (68, 3) their offset from the aligned mean face on the expression points,
    in interocular distances (x and y; zero elsewhere)."""
    template = load_template().points.astype(np.float64)
    rigid = list(RIGID)
    scale, rotation, shift = _similarity(template[rigid], shape[rigid].astype(np.float64))
    aligned = scale * template @ rotation.T + shift
    offset = np.zeros((68, 3))
    points = list(EXPRESSION_POINTS)
    offset[points, :2] = (shape[points, :2] - aligned[points, :2]) / max(float(interocular_distance(shape)), 1e-6)
    return offset.astype(np.float32)


def retarget(rest: np.ndarray, expression: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """``rest`` (68, 3, face-frame mm) with its expression replaced by ``expression`` (from
    :func:`expression_of`) at ``strength`` (0: unchanged, 1: the reference's); a new array."""
    if strength == 0 or not np.any(expression):
        return rest.copy()
    change = (np.asarray(expression, np.float64) - expression_of(rest)) * strength
    change[list(MOUTH_SHAPE), :2] -= change[list(MOUTH_ANCHOR), :2].mean(0)  # the mouth's shape, not its place
    length = np.linalg.norm(change, axis=1, keepdims=True)
    change *= np.minimum(1.0, MAX_OFFSET / np.maximum(length, 1e-9))
    return (rest + change * float(interocular_distance(rest))).astype(np.float32)
