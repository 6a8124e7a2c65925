"""What the Style-Aware Generator reads and how its losses weigh the face: shared by training and inference.

- The generator works on a square face crop (:func:`crop_matrix`), the same for every frame of a
  video: it is placed on the source face, so the background inside it stays where it is.
- Its input (:func:`generator_input`) stacks the facial map of the frame's landmarks (1 channel),
  the source crop (3) and the four Intermediate Style Patterns (4 × 3): 16 channels in [−1, 1].
- :func:`region_weights` is the style-aware photometric loss's W (paper §4.3): mouth 5, eyes 3, skin
  1, background 0, from landmark-derived masks (the paper uses a face parser; none can be downloaded
  here, and the 68 landmarks already outline these regions).
"""

import numpy as np
import torch

from stylehead.face.align import alignment_matrix
from stylehead.face.facial_map import draw_facial_map
from stylehead.face.landmarks import JAW, LEFT_BROW, LEFT_EYE, OUTER_LIPS, RIGHT_BROW, RIGHT_EYE

CROP_ZOOM = 0.9  # a little more around the face than stylehead's aligned crops: room for head motion
INPUT_CHANNELS = 1 + 3 + 4 * 3  # facial map, source, four ISPs
REGION_WEIGHTS = {"mouth": 5.0, "eyes": 3.0, "skin": 1.0, "background": 0.0}  # the paper's W


def crop_matrix(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(2, 3) affine: image pixels → the generator's ``size`` × ``size`` crop for a face with these landmarks."""
    return alignment_matrix(landmarks, size, rotate=False, zoom=CROP_ZOOM)


def cut(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The crop of ``image`` through ``matrix`` (outside the picture its border repeats)."""
    import cv2

    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_AREA if matrix[0, 0] < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


def to_unit(images: np.ndarray) -> torch.Tensor:
    """(..., H, W, C) uint8 → (..., C, H, W) float32 in [−1, 1]."""
    tensor = torch.from_numpy(np.ascontiguousarray(images)).float().div_(127.5).sub_(1.0)
    return tensor.movedim(-1, -3)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(..., C, H, W) in [−1, 1] → (..., H, W, C) uint8."""
    scaled = images.detach().float().movedim(-3, -1).add(1.0).mul(127.5).round().clamp(0, 255)
    return scaled.to(torch.uint8).cpu().numpy()


def _facial_map(landmarks: np.ndarray, size: int) -> torch.Tensor:
    """(1, S, S): the facial map of (68, 2) crop landmarks, lines 2 pixels wide per 256."""
    return to_unit(draw_facial_map(landmarks, size=size, thickness=max(1, size // 256 * 2))[..., None])


def generator_input(landmarks: np.ndarray, source: np.ndarray, patterns: np.ndarray) -> torch.Tensor:
    """(16, S, S) float32: the facial map of (68, 2) crop landmarks, the (S, S, 3) source, the (4, S, S, 3) ISPs."""
    return torch.cat([_facial_map(landmarks, source.shape[0]), to_unit(source), *to_unit(patterns)], dim=0)


def mapping_input(landmarks: np.ndarray, warped: np.ndarray) -> torch.Tensor:
    """(4, S, S): what Style Mapping's intermediate generator reads, the facial map and the warped image."""
    return torch.cat([_facial_map(landmarks, warped.shape[0]), to_unit(warped)], dim=0)


def _polygon(mask: np.ndarray, points: np.ndarray, value: float) -> None:
    import cv2

    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, value)


def region_masks(landmarks: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """(S, S) bool masks of ``face`` (jaw and brows, raised to the forehead), ``eyes`` and ``mouth``."""
    import cv2

    points = landmarks[:, :2].astype(np.float64)
    scale = float(np.linalg.norm(points[45] - points[36]))  # outer eye corners
    brows = points[list(RIGHT_BROW + LEFT_BROW)] - [0.0, 0.35 * scale]  # the forehead above the brows
    face = np.zeros((size, size), np.uint8)
    _polygon(face, np.concatenate([points[list(JAW)], brows]), 1)
    grow = max(1, round(0.12 * scale))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    eyes = np.zeros_like(face)
    for eye in (RIGHT_EYE, LEFT_EYE):
        _polygon(eyes, points[list(eye)], 1)
    mouth = np.zeros_like(face)
    _polygon(mouth, points[list(OUTER_LIPS)], 1)
    return {
        "face": face.astype(bool),
        "eyes": cv2.dilate(eyes, kernel).astype(bool),
        "mouth": cv2.dilate(mouth, kernel).astype(bool),
    }


def region_weights(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) float32 W of the style-aware photometric loss: mouth 5, eyes 3, skin 1, background 0."""
    masks = region_masks(landmarks, size)
    weights = np.full((size, size), REGION_WEIGHTS["background"], np.float32)
    weights[masks["face"]] = REGION_WEIGHTS["skin"]
    weights[masks["eyes"]] = REGION_WEIGHTS["eyes"]
    weights[masks["mouth"]] = REGION_WEIGHTS["mouth"]
    return weights
