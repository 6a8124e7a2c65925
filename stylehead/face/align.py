"""Square face crops aligned on the landmarks, and pasting a crop back into the full image.

A crop is a similarity transform (scale, optional rotation, shift) that puts the eye centres and
the mouth centre at fixed places of a square: eyes on a line at 42% of the height, 24% of the
width apart, the mouth below them. Pasting back warps the crop through the inverse transform and
blends it with a feathered edge, touching only the pixels the crop covers.
"""

from dataclasses import dataclass

import numpy as np

from stylehead.face.landmarks import MOUTH, eye_centers

EYE_LINE = 0.42  # eye centres' height, as a fraction of the crop size
EYE_DISTANCE = 0.24  # distance between the eye centres, as a fraction of the crop size
MOUTH_BELOW_EYES = 0.27  # mouth centre below the eye line, as a fraction of the crop size


@dataclass(frozen=True)
class FaceCrop:
    """A square face crop and the transform that made it."""

    image: np.ndarray  # (S, S, 3) uint8
    matrix: np.ndarray  # (2, 3) float64 affine: full-image pixels → crop pixels
    source_size: tuple[int, int]  # (width, height) of the full image

    @property
    def size(self) -> int:
        return self.image.shape[0]

    @property
    def inverse(self) -> np.ndarray:
        """(2, 3) affine: crop pixels → full-image pixels."""
        return invert_affine(self.matrix)


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    linear, shift = matrix[:, :2], matrix[:, 2]
    inverse = np.linalg.inv(linear)
    return np.concatenate([inverse, (-inverse @ shift)[:, None]], axis=1)


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) affine to (..., 2) points."""
    return points[..., :2] @ matrix[:, :2].T + matrix[:, 2]


def alignment_matrix(landmarks: np.ndarray, size: int, rotate: bool = True, zoom: float = 1.0) -> np.ndarray:
    """The similarity (2, 3) that maps the face's anchors onto their canonical crop positions.

    ``rotate=False`` keeps the head's roll (scale and shift only); ``zoom`` > 1 shows less around
    the face.
    """
    right, left = eye_centers(landmarks[:, :2].astype(np.float64))
    mouth = landmarks[list(MOUTH), :2].astype(np.float64).mean(0)
    source = np.stack([right, left, mouth])
    half = EYE_DISTANCE / 2
    canonical = np.array([[0.5 - half, EYE_LINE], [0.5 + half, EYE_LINE], [0.5, EYE_LINE + MOUTH_BELOW_EYES]])
    target = (0.5 + (canonical - 0.5) * zoom) * size
    return _similarity(source, target, rotate)


def _similarity(source: np.ndarray, target: np.ndarray, rotate: bool) -> np.ndarray:
    """Least-squares similarity (Umeyama) from source to target points, optionally without rotation."""
    src_mean, dst_mean = source.mean(0), target.mean(0)
    src, dst = source - src_mean, target - dst_mean
    if rotate:
        covariance = dst.T @ src / len(src)
        u, s, vt = np.linalg.svd(covariance)
        d = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
        rotation = u @ d @ vt
        scale = np.trace(np.diag(s) @ d) / (src**2).sum(1).mean()
    else:
        rotation = np.eye(2)
        scale = np.sqrt((dst**2).sum() / (src**2).sum())
    linear = scale * rotation
    return np.concatenate([linear, (dst_mean - linear @ src_mean)[:, None]], axis=1)


def crop_face(
    image: np.ndarray, landmarks: np.ndarray, size: int = 512, rotate: bool = True, zoom: float = 1.0
) -> FaceCrop:
    """Cut an aligned ``size`` × ``size`` face crop; areas outside the image repeat its border."""
    import cv2

    matrix = alignment_matrix(landmarks, size, rotate, zoom)
    crop = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return FaceCrop(crop, matrix, (image.shape[1], image.shape[0]))


def feather_mask(size: int, feather: float) -> np.ndarray:
    """(S, S) float32 mask: 1 inside, ramping to 0 over ``feather`` × size at the edges."""
    ramp = max(1.0, feather * size)
    distance = np.minimum(np.arange(size), np.arange(size)[::-1]).astype(np.float32) + 0.5
    edge = np.clip(distance / ramp, 0.0, 1.0)
    edge = edge * edge * (3 - 2 * edge)  # smoothstep: no visible band at the ramp's ends
    return np.minimum(edge[:, None], edge[None, :])


def paste_back(
    background: np.ndarray, crop_image: np.ndarray, crop: FaceCrop, mask: np.ndarray | None = None,
    feather: float = 0.08,
) -> np.ndarray:  # fmt: skip
    """Blend a (possibly edited) crop back into the full image through the crop's inverse transform.

    ``mask`` (S, S) float in [0, 1] chooses which crop pixels to use (default: all, with a feathered
    square edge). Only the part of ``background`` under the crop is recomputed.
    """
    import cv2

    size = crop_image.shape[0]
    if mask is None:
        mask = feather_mask(size, feather)
    height, width = background.shape[:2]
    corners = transform_points(np.array([[0, 0], [size, 0], [0, size], [size, size]], float), crop.inverse)
    x0, y0 = np.clip(np.floor(corners.min(0)).astype(int), 0, [width, height])
    x1, y1 = np.clip(np.ceil(corners.max(0)).astype(int) + 1, 0, [width, height])
    if x1 <= x0 or y1 <= y0:
        return background.copy()
    to_roi = crop.inverse.copy()
    to_roi[:, 2] -= [x0, y0]
    roi_size = (int(x1 - x0), int(y1 - y0))
    face = cv2.warpAffine(crop_image, to_roi, roi_size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(mask.astype(np.float32), to_roi, roi_size, flags=cv2.INTER_LINEAR, borderValue=0.0)
    out = background.copy()
    roi = out[y0:y1, x0:x1].astype(np.float32)
    alpha = alpha[..., None]
    out[y0:y1, x0:x1] = np.clip(roi * (1 - alpha) + face.astype(np.float32) * alpha + 0.5, 0, 255).astype(np.uint8)
    return out
