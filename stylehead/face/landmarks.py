"""The 68-point iBUG landmark layout (dlib's), its named groups, and measures derived from it.

"Right" and "left" are the subject's: the right eye (36-41) appears on the image's left.
Every function takes landmarks as (..., 68, 2) or (..., 68, 3) arrays and works on batches.
"""

import numpy as np

NUM_LANDMARKS = 68

JAW = tuple(range(0, 17))
RIGHT_BROW = tuple(range(17, 22))
LEFT_BROW = tuple(range(22, 27))
NOSE_BRIDGE = tuple(range(27, 31))
NOSE_LOWER = tuple(range(31, 36))
NOSE = NOSE_BRIDGE + NOSE_LOWER
RIGHT_EYE = tuple(range(36, 42))
LEFT_EYE = tuple(range(42, 48))
EYES = RIGHT_EYE + LEFT_EYE
OUTER_LIPS = tuple(range(48, 60))
INNER_LIPS = tuple(range(60, 68))
MOUTH = OUTER_LIPS + INNER_LIPS

NOSE_TIP = 30
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER = 36, 39, 42, 45
MOUTH_RIGHT_CORNER, MOUTH_LEFT_CORNER = 48, 54

# Points that move with the skull, not with speech or expression: eye corners and the nose.
RIGID = (RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER, *NOSE)

# Eyelid pairs (upper, lower) and inner-lip pairs (upper, lower) that measure openings.
RIGHT_EYELIDS = ((37, 41), (38, 40))
LEFT_EYELIDS = ((43, 47), (44, 46))
INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))

# Drawing order of the facial map (paper Fig. 3): each group is a polyline, closed or not.
FACIAL_MAP_GROUPS: tuple[tuple[str, tuple[int, ...], bool], ...] = (
    ("jaw", JAW, False),
    ("right_brow", RIGHT_BROW, False),
    ("left_brow", LEFT_BROW, False),
    ("nose_bridge", (*NOSE_BRIDGE, 33), False),
    ("nose_lower", NOSE_LOWER, False),
    ("right_eye", RIGHT_EYE, True),
    ("left_eye", LEFT_EYE, True),
    ("outer_lips", OUTER_LIPS, True),
    ("inner_lips", INNER_LIPS, True),
)

# Index of each point's mirror image under a left-right flip of the face.
MIRROR = np.array(
    list(range(16, -1, -1))  # jaw
    + list(range(26, 21, -1)) + list(range(21, 16, -1))  # brows
    + [27, 28, 29, 30] + [35, 34, 33, 32, 31]  # nose
    + [45, 44, 43, 42, 47, 46] + [39, 38, 37, 36, 41, 40]  # eyes
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]  # outer lips
    + [64, 63, 62, 61, 60, 67, 66, 65]  # inner lips
)  # fmt: skip


def eye_centers(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the right and left eyes: two (..., D) arrays."""
    return landmarks[..., RIGHT_EYE, :].mean(-2), landmarks[..., LEFT_EYE, :].mean(-2)


def interocular_distance(landmarks: np.ndarray) -> np.ndarray:
    """Distance between the eye centres: (...,), in the landmarks' units."""
    right, left = eye_centers(landmarks)
    return np.linalg.norm(left - right, axis=-1)


def _mean_gap(landmarks: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    upper = landmarks[..., [a for a, _ in pairs], :]
    lower = landmarks[..., [b for _, b in pairs], :]
    return np.linalg.norm(upper - lower, axis=-1).mean(-1)


def lip_gap(landmarks: np.ndarray) -> np.ndarray:
    """Mean inner-lip gap: (...,), in the landmarks' units (0 for a closed mouth)."""
    return _mean_gap(landmarks, INNER_LIP_PAIRS)


def mouth_opening(landmarks: np.ndarray) -> np.ndarray:
    """Inner-lip gap divided by the interocular distance: (...,), 0 for a closed mouth."""
    return lip_gap(landmarks) / np.maximum(interocular_distance(landmarks), 1e-6)


def eye_opening(landmarks: np.ndarray) -> np.ndarray:
    """Mean eyelid gap of both eyes divided by the interocular distance: (...,), ~0 in a blink."""
    gap = (_mean_gap(landmarks, RIGHT_EYELIDS) + _mean_gap(landmarks, LEFT_EYELIDS)) / 2
    return gap / np.maximum(interocular_distance(landmarks), 1e-6)


def bounding_box(landmarks: np.ndarray) -> np.ndarray:
    """Axis-aligned box of (68, 2) landmarks: [x0, y0, x1, y1]."""
    return np.concatenate([landmarks[:, :2].min(0), landmarks[:, :2].max(0)])
