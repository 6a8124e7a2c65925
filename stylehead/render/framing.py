"""What the output video shows: the face crop or the whole portrait, and at which size.

A :class:`Framing` is an axis-aligned scale and shift (no rotation, so the portrait's own pixels
are resampled at most once) from the original image to the output canvas:

- ``crop``: a square around the face (the face crop of :mod:`stylehead.face.align`, zoomed out to
  show the hair and shoulders, made smaller and shifted where it would leave the picture),
  ``size`` pixels on a side;
- ``full``: the whole image, its longer side scaled to ``size`` (both sides rounded to even numbers,
  as H.264 needs), or kept as it is with ``size="original"``.
"""

from dataclasses import dataclass

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.face.align import alignment_matrix

MODES = ("crop", "full")
SIZES = (256, 512, "original")
CROP_ZOOM = 0.66  # < 1 shows more than the tight face crop: the whole head and the top of the torso


@dataclass(frozen=True)
class Framing:
    """Original image pixels → output canvas pixels."""

    matrix: np.ndarray  # (2, 3) float64 affine (scale and shift only)
    width: int
    height: int
    mode: str

    @property
    def scale(self) -> float:
        return float(self.matrix[0, 0])

    def canvas(self, image: np.ndarray) -> np.ndarray:
        """The portrait as the output shows it: (height, width, 3) uint8."""
        import cv2

        if self.mode == "full" and (self.width, self.height) == (image.shape[1], image.shape[0]):
            return image.copy()
        interpolation = cv2.INTER_AREA if self.scale < 1 else cv2.INTER_LINEAR
        return cv2.warpAffine(image, self.matrix, (self.width, self.height), flags=interpolation,
                              borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


def parse_size(size: int | str) -> int | str:
    """256, 512 or "original" (strings from the command line or the app are accepted)."""
    if isinstance(size, str) and size.strip().lower() == "original":
        return "original"
    try:
        value = int(size)
    except (TypeError, ValueError):
        value = None
    if value not in (256, 512):
        raise StyleheadError(f"Output size {size!r} is not supported; use 256, 512 or original.")
    return value


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def plan_framing(image_size: tuple[int, int], landmarks: np.ndarray, mode: str = "crop",
                 size: int | str = 512) -> Framing:  # fmt: skip
    """The framing of a (width, height) portrait whose face has these (68, 2) landmarks."""
    if mode not in MODES:
        raise StyleheadError(f"Mode {mode!r} is not supported; use crop or full.")
    size = parse_size(size)
    width, height = image_size
    if mode == "full":
        if size == "original":
            return Framing(np.array([[1.0, 0, 0], [0, 1.0, 0]]), width, height, mode)
        scale = size / max(width, height)
        out_w, out_h = _even(width * scale), _even(height * scale)
        matrix = np.array([[out_w / width, 0, 0], [0, out_h / height, 0]], dtype=np.float64)
        return Framing(matrix, out_w, out_h, mode)
    # The square the aligned crop would show, in image pixels: its centre and side.
    aligned = alignment_matrix(landmarks, 1000, rotate=False, zoom=CROP_ZOOM)
    per_pixel = aligned[0, 0]  # crop pixels per image pixel for a 1000 px crop
    centre = (np.array([500.0, 500.0]) - aligned[:, 2]) / per_pixel
    # Kept inside the picture: a crop that ran off the edge would show smeared border pixels.
    side = min(1000 / per_pixel, width, height)
    x0 = float(np.clip(centre[0] - side / 2, 0, width - side))
    y0 = float(np.clip(centre[1] - side / 2, 0, height - side))
    if size == "original":  # the crop at the portrait's own resolution
        size = _even(side)
    scale = size / side
    matrix = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]], dtype=np.float64)
    return Framing(matrix, size, size, mode)
