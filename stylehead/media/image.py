"""Reading still images of any common kind as RGB uint8."""

import struct
import warnings
from pathlib import Path

import numpy as np

from stylehead.errors import MediaError
from stylehead.media.ffmpeg import probe
from stylehead.media.files import check_readable

IMAGE_FORMATS = "jpg, png, webp or bmp"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")
MAX_IMAGE_PIXELS = 40_000_000  # refuse larger images before decoding them (decompression bombs)


def read_image(path: str | Path, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Read ``path`` as (H, W, 3) uint8 RGB.

    EXIF orientation is applied; transparency is composited onto white; grayscale, palette,
    CMYK, 16-bit and float images are converted; of an animated image the first frame is used.
    The pixel count is checked from the header, before any decoding.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = check_readable(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        if isinstance(err, UnidentifiedImageError):
            if _is_video(path):
                raise MediaError(f"{path.name} is a video; the portrait is one picture ({IMAGE_FORMATS}): save the "
                                 "frame you want as an image and give that.") from None  # fmt: skip
            raise MediaError(f"{path.name} is not an image stylehead can read; use {IMAGE_FORMATS}.") from None
        raise MediaError(f"{path.name} has more than {max_pixels:,} pixels, the limit; resize it first.") from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error):  # a header cut short or corrupt
        raise MediaError(f"{path.name} is damaged (its header cannot be read); re-save it and retry.") from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise MediaError(
                f"{path.name} is {width}x{height} pixels; the limit is {max_pixels:,} pixels, so resize it first."
            )
        try:
            image.seek(0)
            image = ImageOps.exif_transpose(image)
            rgb = to_rgb(image)
        except (OSError, ValueError, SyntaxError) as err:
            raise MediaError(f"{path.name} is damaged and could not be decoded ({err}); re-save it and retry.") from err
    return rgb


def _is_video(path: Path) -> bool:
    """Whether ffmpeg reads ``path`` as a moving picture (asked only of files that are not images)."""
    try:
        info = probe(path)
    except MediaError:
        return False
    return info.has_video and not info.is_picture


def to_rgb(image) -> np.ndarray:
    """Convert a PIL image of any mode to (H, W, 3) uint8 RGB."""
    from PIL import Image

    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or values.max() > 255 else 255.0
        gray = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[..., None], 3, axis=2))
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def write_image(path: str | Path, image: np.ndarray) -> Path:
    """Write an (H, W, 3) uint8 RGB image; the format follows the file suffix."""
    from PIL import Image

    Image.fromarray(image).save(path)
    return Path(path)


def encode_jpeg(image: np.ndarray, quality: int = 90) -> np.ndarray:
    """An (H, W, 3) uint8 RGB image → its JPEG bytes as a 1-D uint8 array (storable in .npz/safetensors)."""
    import cv2

    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise MediaError("The image could not be encoded as JPEG.")
    return data.reshape(-1)


def decode_jpeg(data: np.ndarray) -> np.ndarray:
    """JPEG bytes (a 1-D uint8 array, as :func:`encode_jpeg` makes) → an (H, W, 3) uint8 RGB image."""
    import cv2

    image = cv2.imdecode(np.asarray(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError("The stored image is not a readable JPEG.")
    return np.ascontiguousarray(image[..., ::-1])
