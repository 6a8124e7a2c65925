"""A bound on how far any face point may move from rest: what real faces do, eased, never a tear.

Tracked talking faces in the training clips move their mouth, jaw and eye points up to about 12 mm
from rest (99th percentile of each frame's largest move), 21 mm at the 99.9th. A generator changed
by a style can be driven outside anything it was tuned on (a song whose sound is unlike the
reference's, the first frames of a clip) and extrapolate to 70 mm, which folds the face over itself.
Each point's displacement is left as it is up to :data:`KNEE_MM` and eased smoothly towards
:data:`LIMIT_MM` beyond (direction kept).
"""

import numpy as np

from stylehead.easing import ease_towards

KNEE_MM = 20.0
LIMIT_MM = 30.0


def limit_displacement(displacement: np.ndarray, knee: float = KNEE_MM, limit: float = LIMIT_MM) -> np.ndarray:
    """(..., 3) displacements (mm) whose lengths above ``knee`` are eased towards ``limit``."""
    length = np.linalg.norm(displacement, axis=-1, keepdims=True)
    eased = ease_towards(length, knee, limit)
    return (displacement * (eased / np.maximum(length, 1e-9))).astype(displacement.dtype)
