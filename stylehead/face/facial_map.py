"""The facial map of the paper's Fig. 3: landmark groups drawn as connected polylines.

The Style-Aware Generator reads it as a one-channel image (LSP draws its map the same way: white
lines, 2 px, on black); the coloured version, one colour per group, is for people to look at.
"""

import numpy as np

from stylehead.face.landmarks import FACIAL_MAP_GROUPS

MAP_SIZE = 512

# One colour (RGB) per group, in FACIAL_MAP_GROUPS order.
GROUP_COLORS = {
    "jaw": (230, 230, 230),
    "right_brow": (255, 170, 0),
    "left_brow": (255, 170, 0),
    "nose_bridge": (90, 200, 255),
    "nose_lower": (90, 200, 255),
    "right_eye": (80, 255, 120),
    "left_eye": (80, 255, 120),
    "outer_lips": (255, 70, 90),
    "inner_lips": (255, 120, 200),
}


def draw_facial_map(
    landmarks: np.ndarray, size: int = MAP_SIZE, thickness: int = 2, colored: bool = False
) -> np.ndarray:
    """Draw (68, 2) landmarks, given in this canvas's pixels, as the facial map.

    Returns (size, size) uint8 (0 background, 255 lines), or (size, size, 3) uint8 RGB with
    ``colored=True``.
    """
    import cv2

    shape = (size, size, 3) if colored else (size, size)
    canvas = np.zeros(shape, dtype=np.uint8)
    scale = 16  # draw with 4 bits of sub-pixel precision
    for name, indices, closed in FACIAL_MAP_GROUPS:
        points = np.round(landmarks[list(indices), :2] * scale).astype(np.int32)
        color = GROUP_COLORS[name] if colored else 255
        cv2.polylines(canvas, [points], closed, color, thickness, lineType=cv2.LINE_AA, shift=4)
    return canvas
