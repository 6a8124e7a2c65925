"""Pictures of a style that hold no one's image: its four reference landmark sets as facial maps."""

import numpy as np

from stylehead.face.facial_map import draw_facial_map
from stylehead.style.pack import StylePack
from stylehead.style.references import TEMPLATES

TITLES = {"none": "rest", "m": "M (closed)", "r": "R (drawn in)", "o": "O (round, open)"}


def reference_maps(pack: StylePack, size: int = 256) -> list[tuple[np.ndarray, str]]:
    """The four Style Reference Images as (size, size, 3) uint8 facial maps, each with its template's title.

    Each landmark set is centred and scaled to fill about two thirds of its square.
    """

    maps = []
    for template, points in zip(TEMPLATES, pack.reference_landmarks, strict=True):
        points = points.astype(np.float64)
        low, high = points.min(0), points.max(0)
        scale = 0.66 * size / max(float((high - low).max()), 1e-6)
        placed = (points - (low + high) / 2) * scale + size / 2
        maps.append((draw_facial_map(placed, size=size, colored=True), TITLES[template]))
    return maps
