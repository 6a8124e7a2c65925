"""Closing the eyelid landmarks: a blink drawn on any 68-point face."""

import numpy as np

from stylehead.face.landmarks import LEFT_EYELIDS, RIGHT_EYELIDS

LOWER_LID_SHARE = 0.2  # the lower lid rises this share of the way; the upper lid does the rest


def close_eyes(points: np.ndarray, closure: np.ndarray) -> np.ndarray:
    """Move the eyelids of (T, 68, D) points together by (T,) closure; returns a new array."""
    out = points.copy()
    for upper, lower in RIGHT_EYELIDS + LEFT_EYELIDS:
        gap = points[:, lower] - points[:, upper]  # (T, D)
        amount = closure[:, None]
        out[:, upper] += gap * amount * (1 - LOWER_LID_SHARE)
        out[:, lower] -= gap * amount * LOWER_LID_SHARE
    return out
