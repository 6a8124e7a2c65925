"""What a style pack may hold: the header's schema and the physical range of every tensor.

A pack is a file a stranger may send (a download, an upload, a Hub repo). Its safetensors layout is
checked by :mod:`stylehead.safe_loading`; here its content is: the JSON header's fields have their
types, lengths and sizes (:func:`check_header`), and every tensor is finite and within what a real
face, head or blink can do (:func:`check_tensors`), so that a pack that passes animates a face that
stays a face. The ranges are wide (several times what the presets and the 17 shared references
reach: ``docs/decisions.md``) and each failure is one sentence naming the field.
"""

import json
import math

import numpy as np

from stylehead.errors import StyleheadError

MAX_HEADER_CHARS = 64 << 10  # the JSON header of a pack: a few hundred characters in practice
MAX_TRACK_FRAMES = 60 * 600  # ten minutes at 60 fps
MAX_EXPRESSION = 1.0  # interocular distances; no expression offset is anywhere near one
TEXT_FIELDS = {"name": 200, "source": 2000, "licence": 500, "base": 128}  # characters
LIST_FIELDS = {"learned": 32, "not_learned": 32}  # items, each a string of at most MAX_ITEM_CHARS
MAX_ITEM_CHARS = 500
MAX_METRICS = 64

TRACK = "pose.track"  # (N, 6) float32 at 60 fps, from version 2
EXPRESSION = "expression"  # (68, 3) float32 interocular distances (stylehead.face.expression), from version 3
BROWS = "brows.track"  # (N, 10, 3) float32 interocular distances, the frames of pose.track, from version 3
DELTA_PREFIX = "delta."
DELTA_DTYPES = (np.float32, np.float16)
REQUIRED = {
    "references.landmarks": ((4, 68, 2), np.float32),
    "references.face_points": ((4, 68, 3), np.float32),
    "pose.mean": ((6,), np.float32),
    "pose.std": ((6,), np.float32),
    "pose.speed": ((1,), np.float32),
    "blink.rate_per_minute": ((1,), np.float32),
    "blink.duration": ((1,), np.float32),
}
# (low, high) of each value, in the tensor's own units; a 6-vector is (pitch, yaw, roll in degrees, x, y, z in mm)
RANGES = {
    "references.landmarks": (-20_000.0, 20_000.0),  # image pixels
    "references.face_points": (-300.0, 300.0),  # face-frame mm
    "pose.speed": (0.0, 360.0),  # degrees per second
    "blink.rate_per_minute": (0.0, 120.0),
    "blink.duration": (0.02, 2.0),  # seconds
    EXPRESSION: (-MAX_EXPRESSION, MAX_EXPRESSION),
    BROWS: (-MAX_EXPRESSION, MAX_EXPRESSION),
    "delta": (-4.0, 4.0),  # weight changes: fine-tuning moves a weight by well under one
}
POSE_RANGES = {  # per column: angles, then translations
    "pose.mean": ((-90.0, 90.0), (-1000.0, 1000.0)),
    "pose.std": ((0.0, 45.0), (0.0, 200.0)),
    TRACK: ((-90.0, 90.0), (-400.0, 400.0)),  # about the reference's median pose
}
FACE_SPAN_MM = (30.0, 200.0)  # the widest extent of a reference face's points (a face, not a dot or a wall)


def _invalid(name: str, why: str) -> StyleheadError:
    return StyleheadError(f"{name} is not a valid style pack: {why}.")


def parse_header(text: str, name: str) -> dict:
    """The pack's JSON header, checked against its schema: a table with a non-empty ``name``, text fields
    as strings, ``learned``/``not_learned`` as lists of strings, ``metrics`` as names → finite numbers,
    each within its size; unknown fields are ignored (a later stylehead may add some) but count towards
    the header's size."""
    if len(text) > MAX_HEADER_CHARS:
        raise _invalid(name, f"its header is {len(text):,} characters (the limit is {MAX_HEADER_CHARS:,})")
    try:
        header = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise _invalid(name, "its header is not JSON (or is nested too deeply)") from None
    if not isinstance(header, dict):
        raise _invalid(name, "its header is not a table")
    if not isinstance(header.get("name"), str) or not header["name"].strip():
        raise _invalid(name, "it has no name")
    for key, limit in TEXT_FIELDS.items():
        value = header.get(key, "")
        if not isinstance(value, str):
            raise _invalid(name, f"its {key} is not text")
        if len(value) > limit:
            raise _invalid(name, f"its {key} is {len(value):,} characters (the limit is {limit:,})")
    for key, limit in LIST_FIELDS.items():
        items = header.get(key, [])
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise _invalid(name, f"its {key} is not a list of text")
        if len(items) > limit or any(len(item) > MAX_ITEM_CHARS for item in items):
            raise _invalid(name, f"its {key} holds more than {limit} items or an item over {MAX_ITEM_CHARS} characters")
    metrics = header.get("metrics", {})
    if not isinstance(metrics, dict) or len(metrics) > MAX_METRICS:
        raise _invalid(name, f"its metrics are not a table of at most {MAX_METRICS} numbers")
    for key, value in metrics.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if len(key) > MAX_ITEM_CHARS or not number or not math.isfinite(value):
            raise _invalid(name, f"its metric {key[:40]!r} is not a finite number")
    return header


def track_shape_ok(shape: tuple[int, ...]) -> bool:
    return len(shape) == 2 and shape[1] == 6 and 2 <= shape[0] <= MAX_TRACK_FRAMES


def check_tensors(tensors: dict[str, np.ndarray], name: str) -> None:
    """Every tensor a pack's, of its shape and dtype, finite and within its physical range (:data:`RANGES`)."""
    for key, (shape, dtype) in REQUIRED.items():
        if key not in tensors:
            raise _invalid(name, f"{key} is missing")
        value = tensors[key]
        if value.shape != shape or value.dtype != dtype:
            raise _invalid(name, f"{key} is {value.dtype}{list(value.shape)}, not {np.dtype(dtype)}{list(shape)}")
    if TRACK in tensors:
        track = tensors[TRACK]
        if track.dtype != np.float32 or not track_shape_ok(track.shape):
            raise _invalid(name, f"{TRACK} is {track.dtype}{list(track.shape)}, not float32[frames, 6] with 2 to "
                                 f"{MAX_TRACK_FRAMES} frames")  # fmt: skip
    if EXPRESSION in tensors:
        expression = tensors[EXPRESSION]
        if expression.dtype != np.float32 or expression.shape != (68, 3):
            raise _invalid(name, f"{EXPRESSION} is {expression.dtype}{list(expression.shape)}, not float32[68, 3]")
    if BROWS in tensors:
        brows, track = tensors[BROWS], tensors.get(TRACK)
        if brows.dtype != np.float32 or brows.shape[1:] != (10, 3) or track is None or len(brows) != len(track):
            raise _invalid(name, f"{BROWS} is {brows.dtype}{list(brows.shape)}, not float32[frames of {TRACK}, 10, 3]")
    for key, value in tensors.items():
        if key not in REQUIRED and key not in (TRACK, EXPRESSION, BROWS) and not key.startswith(DELTA_PREFIX):
            raise _invalid(name, f"unexpected tensor {key[:60]!r}")
        if key.startswith(DELTA_PREFIX) and value.dtype not in DELTA_DTYPES:
            raise _invalid(name, f"{key[:60]} has dtype {value.dtype}")
        if not np.isfinite(value).all():
            raise _invalid(name, f"{key[:60]} holds NaN or infinite values")
        _check_range(key, value, name)
    for points in tensors["references.face_points"]:
        span = float(np.ptp(points[:, :2], axis=0).max())
        if not FACE_SPAN_MM[0] <= span <= FACE_SPAN_MM[1]:
            raise _invalid(name, f"a reference face is {span:.0f} mm across, not a face's "
                                 f"{FACE_SPAN_MM[0]:.0f} to {FACE_SPAN_MM[1]:.0f} mm")  # fmt: skip


def _check_range(key: str, value: np.ndarray, name: str) -> None:
    if key in POSE_RANGES:
        for columns, (low, high), what in ((slice(0, 3), POSE_RANGES[key][0], "degrees"),
                                           (slice(3, 6), POSE_RANGES[key][1], "mm")):  # fmt: skip
            part = value[..., columns]
            if part.size and (part.min() < low or part.max() > high):
                raise _invalid(name, f"{key} reaches {_extreme(part, low, high):g} {what}, outside {low:g} to {high:g}")
        return
    low, high = RANGES["delta" if key.startswith(DELTA_PREFIX) else key]
    if value.size and (value.min() < low or value.max() > high):
        raise _invalid(name, f"{key[:60]} reaches {_extreme(value, low, high):g}, outside {low:g} to {high:g}")


def _extreme(value: np.ndarray, low: float, high: float) -> float:
    """The value furthest outside [low, high]."""
    smallest, largest = float(value.min()), float(value.max())
    return smallest if low - smallest > largest - high else largest
