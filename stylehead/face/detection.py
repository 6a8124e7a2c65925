"""Face detection and 68-point landmarks with dlib, offline, from the ``face-recognition-models`` wheel.

dlib's HOG detector (fast, frontal) finds faces; its 68-point shape predictor places the
landmarks (1-5 ms a face). Stills that HOG misses (paintings, cartoons, tight crops) get a second
chance from dlib's CNN (MMOD) detector, which is slower (0.5-4 s) and so is never used per frame.
The 68-point model was trained on iBUG 300-W, which is licensed for non-commercial use only.
"""

import functools
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylehead.errors import NoFaceError

DETECT_MAX_SIDE = 640  # images are shrunk to this longer side before full-frame detection
SMALL_FACE_MAX_SIDE = 2048  # the full-size search for small faces upsamples images up to this side
HOG_MIN_FACE = 80  # dlib's HOG window: faces smaller than this (pixels) need upsampling
MIN_IMAGE_SIDE = 32  # no detectable face fits in less; dlib's CNN even fails on thinner images
UPRIGHT_CROP = 160  # pixels: the crop around a face asked whether it is upright (quarter_turn_to_upright)
SIDEWAYS_MIN_SCORE = 0.3  # a face lies on its side when HOG scores it below this as it is, above it turned a quarter
SIDEWAYS_MARGIN = 0.5  # and by how much it must beat the face as it is


@dataclass(frozen=True)
class FaceBox:
    """A detected face: its box in image pixels and the detector's confidence."""

    left: float
    top: float
    right: float
    bottom: float
    score: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def area(self) -> float:
        return max(self.right - self.left, 0.0) * max(self.bottom - self.top, 0.0)

    def scaled(self, factor: float, dx: float = 0.0, dy: float = 0.0) -> "FaceBox":
        """The box in another image: coordinates × ``factor``, then shifted by (dx, dy)."""
        return FaceBox(
            self.left * factor + dx, self.top * factor + dy,
            self.right * factor + dx, self.bottom * factor + dy, self.score,
        )  # fmt: skip


@dataclass(frozen=True)
class Face:
    """The face chosen in an image."""

    landmarks: np.ndarray  # (68, 2) float32, image pixels (x, y)
    box: FaceBox
    num_faces: int  # how many faces were detected; the largest was chosen


def model_path(name: str) -> Path:
    """Locate a model file of the ``face-recognition-models`` package without importing it.

    Importing it needs ``pkg_resources``, which recent setuptools no longer ships.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the face-recognition-models package is not installed: pip install -r requirements.txt")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing from the face-recognition-models package; reinstall it")
    return path


# dlib's detectors are not safe to call from two threads at once (two find_face calls in parallel abort the
# process: "munmap_chunk(): invalid pointer"); a web app serving several visitors calls them from its threads
DLIB_LOCK = threading.Lock()


@functools.cache
def _hog_detector():
    import dlib

    return dlib.get_frontal_face_detector()


@functools.cache
def _cnn_detector():
    import dlib

    return dlib.cnn_face_detection_model_v1(str(model_path("mmod_human_face_detector.dat")))


@functools.cache
def _shape_predictor():
    import dlib

    return dlib.shape_predictor(str(model_path("shape_predictor_68_face_landmarks.dat")))


def load_models() -> None:
    """Load dlib's detector and 68-point predictor now (about a second) rather than on first use."""
    _hog_detector()
    _shape_predictor()


def to_gray(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB → (H, W) uint8 luma; gray images pass through."""
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)


def _resize(image: np.ndarray, factor: float) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)


def detect_hog(gray: np.ndarray, upsample: int = 0, threshold: float = 0.0) -> list[FaceBox]:
    """Run dlib's HOG detector on a gray image; boxes in that image's pixels, best first."""
    with DLIB_LOCK:
        rects, scores, _ = _hog_detector().run(gray, upsample, threshold)
    boxes = [FaceBox(r.left(), r.top(), r.right(), r.bottom(), float(s)) for r, s in zip(rects, scores, strict=True)]
    return sorted(boxes, key=lambda b: -b.score)


def detect_faces(image: np.ndarray, use_cnn: bool = True, small_faces: bool = True) -> list[FaceBox]:
    """All faces in an RGB (or gray) image, in its pixel coordinates, largest first.

    The image is shrunk to :data:`DETECT_MAX_SIDE` for speed and upsampled when that would leave
    faces below HOG's minimum size. With ``use_cnn``, dlib's CNN detector checks each HOG box
    when there are several (HOG's false positives on textures can be larger than the real face),
    and runs on a copy at most 400 px wide when HOG finds nothing. Last, with ``small_faces``, a
    large image in which nothing was found is searched again at full size, for faces too small to
    survive the shrinking (seconds on a large photo: the tracker leaves it off).
    """
    if min(image.shape[:2]) < MIN_IMAGE_SIDE:
        return []
    factor = min(1.0, DETECT_MAX_SIDE / max(image.shape[:2]))
    small = _resize(image, factor) if factor < 1 else image
    gray = to_gray(small)
    upsample = 1 if max(gray.shape) <= 1024 else 0
    boxes = [b.scaled(1 / factor) for b in detect_hog(gray, upsample)]
    if len(boxes) > 1 and use_cnn:
        confirmed = [box for box in boxes if _cnn_confirms(image, box)]
        boxes = confirmed or boxes[:1]  # HOG's boxes come best-scored first
    if not boxes and use_cnn:
        rgb = small if small.ndim == 3 else np.repeat(small[..., None], 3, axis=2)
        cnn_factor = min(1.0, 400 / max(rgb.shape[:2]))
        rgb = _resize(rgb, cnn_factor) if cnn_factor < 1 else rgb
        with DLIB_LOCK:
            found = _cnn_detector()(np.ascontiguousarray(rgb), 1 if max(rgb.shape[:2]) < 300 else 0)
        scale = 1 / (factor * cnn_factor)
        boxes = [
            _cnn_to_hog_box(FaceBox(d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom(), d.confidence)).scaled(
                scale
            )
            for d in found
        ]
    if not boxes and small_faces and factor < 0.75:
        # Small faces in large photos vanish when the image is shrunk: look again at full size.
        full = to_gray(image)
        boxes = detect_hog(full, 1 if max(full.shape) <= SMALL_FACE_MAX_SIDE else 0)
    return sorted(_drop_weak_overlaps(boxes), key=lambda b: -b.area)


def _cnn_confirms(image: np.ndarray, box: FaceBox) -> bool:
    """Whether dlib's CNN detector also sees a face in a window around ``box`` (~0.2 s)."""
    cx, cy, half = (box.left + box.right) / 2, (box.top + box.bottom) / 2, 0.8 * box.width
    height, width = image.shape[:2]
    x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
    x1, y1 = min(width, int(cx + half)), min(height, int(cy + half))
    window = image[y0:y1, x0:x1]
    if window.ndim == 2:
        window = np.repeat(window[..., None], 3, axis=2)
    window = _resize(window, 100 / max(box.width, 1.0))  # the face ~100 px: above MMOD's 80 px window
    with DLIB_LOCK:
        return len(_cnn_detector()(np.ascontiguousarray(window), 0)) > 0


def _cnn_to_hog_box(box: FaceBox) -> FaceBox:
    """Map an MMOD box onto the HOG box the shape predictor was trained on.

    Measured on the 20 portraits both detectors find: HOG boxes are 1.06x wider, and their centre
    sits 0.03 (x) and 0.09 (y) box widths lower-right of the MMOD centre.
    """
    width = box.width
    cx = (box.left + box.right) / 2 + 0.03 * width
    cy = (box.top + box.bottom) / 2 + 0.09 * width
    size = 1.06 * width
    return FaceBox(cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2, box.score)


def _drop_weak_overlaps(boxes: list[FaceBox]) -> list[FaceBox]:
    kept: list[FaceBox] = []
    for box in sorted(boxes, key=lambda b: -b.score):
        if all(_iou(box, other) < 0.3 for other in kept):
            kept.append(box)
    return kept


def _iou(a: FaceBox, b: FaceBox) -> float:
    inter = FaceBox(max(a.left, b.left), max(a.top, b.top), min(a.right, b.right), min(a.bottom, b.bottom), 0)
    union = a.area + b.area - inter.area
    return inter.area / union if union > 0 else 0.0


def predict_landmarks(gray: np.ndarray, box: FaceBox) -> np.ndarray:
    """68 landmarks inside ``box`` of a gray image: (68, 2) float32 pixels."""
    import dlib

    rect = dlib.rectangle(round(box.left), round(box.top), round(box.right), round(box.bottom))
    with DLIB_LOCK:
        shape = _shape_predictor()(gray, rect)
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def find_face(image: np.ndarray, name: str = "the image") -> Face:
    """The largest face in an image with its 68 landmarks; :class:`NoFaceError` when there is none."""
    height, width = image.shape[:2]
    if min(height, width) < MIN_IMAGE_SIDE:
        raise NoFaceError(f"{name} is only {width}x{height} pixels, too small to show a face; "
                          "use a photo at least 256 pixels on each side.")  # fmt: skip
    boxes = detect_faces(image)
    if not boxes:
        raise NoFaceError(
            f"No face was found in {name}; use a clear, well-lit photo where one face looks at the camera."
        )
    box = boxes[0]
    turn = quarter_turn_to_upright(image, box)
    if turn:
        way = "anticlockwise" if turn == 1 else "clockwise"
        raise NoFaceError(f"The face in {name} lies on its side; turn the picture a quarter turn {way} so that the "
                          "face is upright, and try again.")  # fmt: skip
    return Face(landmarks=predict_landmarks(to_gray(image), box), box=box, num_faces=len(boxes))


def quarter_turn_to_upright(image: np.ndarray, box: "FaceBox") -> int:
    """0 when the face in ``box`` is upright; 1 (or 3) when it lies on its side and ``np.rot90(image, 1)``
    (or ``3``) would set it upright.

    dlib's HOG detector only sees faces within about 20 degrees of upright, so it is asked about a
    small crop around the face as it is and turned both ways (three runs on 160 pixels: milliseconds).
    Measured on the 22 portraits of the shared data: upright, the face scores 0.4 to 3.0 as it is and
    below 0 turned; turned on its side, the reverse. A head tilted 40 degrees still scores above 0.3 as
    it is and passes; from about 50 degrees a face counts as lying on its side. The landmark predictor
    itself always returns an upright-looking face, so without this a sideways photo is animated sideways.
    """
    import cv2

    height, width = image.shape[:2]
    cx, cy = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    half = 0.9 * max(box.width, box.bottom - box.top)
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    x1, y1 = int(min(width, cx + half)), int(min(height, cy + half))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return 0
    gray = to_gray(image[y0:y1, x0:x1])
    scale = UPRIGHT_CROP / max(gray.shape)
    gray = cv2.resize(gray, (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale))))

    def score(turn: int) -> float:
        found = detect_hog(np.ascontiguousarray(np.rot90(gray, turn)), 1, -0.5)
        return found[0].score if found else -1.0

    upright, turns = score(0), {turn: score(turn) for turn in (1, 3)}
    best = max(turns, key=turns.get)
    turned = turns[best]
    sideways = upright < SIDEWAYS_MIN_SCORE < turned and turned > upright + SIDEWAYS_MARGIN
    return best if sideways else 0
