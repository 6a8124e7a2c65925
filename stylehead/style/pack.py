"""Style packs: one safetensors file per style, strictly validated when loaded.

A pack holds motion only, never images: the four reference landmark sets (image pixels and face
frame), head-pose statistics (mean and standard deviation of the rotation in degrees and the
translation in mm), from version 2 the reference's head motion itself (``pose.track``, 60 fps), from
version 3 its persistent expression (``expression``: :mod:`stylehead.face.expression`),
blink rate and duration, optionally weight deltas of fine-tuned models
(``delta.<component>.<parameter>``), and a JSON header (name, source, licence, what was and was not
learned, metrics) in the safetensors metadata.

Loading never unpickles anything (:mod:`stylehead.safe_loading`). The header's length is read and
bounded before it is parsed, the file must declare itself a stylehead style of a known version,
every tensor must have its expected name, shape and dtype (checked from the header, before any data
is read) and finite values, and nothing else may be in the file.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.face.expression import expression_of
from stylehead.safe_loading import check_tensors as check_layout
from stylehead.safe_loading import read_header
from stylehead.style.pack_checks import (
    BROWS,
    DELTA_PREFIX,
    EXPRESSION,
    MAX_TRACK_FRAMES,
    REQUIRED,
    TRACK,
    check_tensors,
    parse_header,
    track_shape_ok,
)
from stylehead.style.sharing import StyleRepo

FORMAT = "stylehead-style"
VERSION = "3"  # written when the pack has an expression; "1" (no track) and "2" (no expression) are still read
READABLE_VERSIONS = ("1", "2", "3")
MAX_HEADER_BYTES = 1 << 20  # safetensors header (tensor index + metadata): 1 MiB is plenty for a style
MAX_FILE_BYTES = 200 << 20


@dataclass
class StylePack:
    """A style: who it came from, and the motion statistics and references learned from it."""

    name: str
    reference_landmarks: np.ndarray  # (4, 68, 2) image pixels of the reference frames (none, m, r, o)
    reference_face_points: np.ndarray  # (4, 68, 3) face-frame mm
    pose_mean: np.ndarray  # (6,) degrees and mm, about the speaker's median pose
    pose_std: np.ndarray  # (6,)
    pose_speed: float  # mean angular speed of the head, degrees per second
    blink_rate_per_minute: float
    blink_duration: float  # seconds
    source: str = ""  # where the reference came from (file name, URL or dataset)
    licence: str = ""
    learned: list[str] = field(default_factory=list)  # e.g. ["head pose", "blinks", "mouth"]
    not_learned: list[str] = field(default_factory=list)  # and why, e.g. ["mouth: the video has no sound"]
    metrics: dict[str, float] = field(default_factory=dict)
    deltas: dict[str, np.ndarray] = field(default_factory=dict)  # "component.parameter" → weight change
    base: str = ""  # fingerprint of the motion weights the deltas apply to (AudioToMotion.fingerprint)
    pose_track: np.ndarray | None = None  # (N, 6) the reference's head motion at 60 fps, about its median pose
    expression: np.ndarray | None = None  # (68, 3) the reference's persistent expression (face.expression)
    brow_track: np.ndarray | None = None  # (N, 10, 3) its brows' motion, the frames of pose_track (version 3)

    @property
    def face_expression(self) -> np.ndarray:
        """The reference's persistent expression; a pack from before version 3 has it measured on its "none"
        reference frame (the frame whose mouth is closed)."""
        if self.expression is not None:
            return self.expression
        return expression_of(np.asarray(self.reference_face_points[0], np.float32))

    def save(self, path: str | Path) -> Path:
        from safetensors.numpy import save_file

        tensors = {
            "references.landmarks": np.asarray(self.reference_landmarks, np.float32),
            "references.face_points": np.asarray(self.reference_face_points, np.float32),
            "pose.mean": np.asarray(self.pose_mean, np.float32),
            "pose.std": np.asarray(self.pose_std, np.float32),
            "pose.speed": np.array([self.pose_speed], np.float32),
            "blink.rate_per_minute": np.array([self.blink_rate_per_minute], np.float32),
            "blink.duration": np.array([self.blink_duration], np.float32),
        }
        if self.pose_track is not None:
            tensors[TRACK] = np.ascontiguousarray(self.pose_track, np.float32)
        if self.expression is not None:
            tensors[EXPRESSION] = np.ascontiguousarray(self.expression, np.float32)
        if self.brow_track is not None:
            tensors[BROWS] = np.ascontiguousarray(self.brow_track, np.float32)
        tensors.update({DELTA_PREFIX + key: np.ascontiguousarray(value) for key, value in self.deltas.items()})
        check_tensors(tensors, Path(path).name)
        header = {"name": self.name, "source": self.source, "licence": self.licence, "learned": self.learned,
                  "not_learned": self.not_learned, "metrics": self.metrics, "base": self.base}  # fmt: skip
        path = Path(path)
        if (self.expression is None) != (self.brow_track is None) or (self.expression is not None and
                                                                       self.pose_track is None):  # fmt: skip
            raise ValueError("a version 3 pack holds its head track, its expression and its brow track together")
        version = "1" if self.pose_track is None else VERSION if self.expression is not None else "2"
        save_file(tensors, str(path), metadata={"format": FORMAT, "version": version, "header": json.dumps(header)})
        return path

    def push_to_hub(self, repo_id: str, private: bool = False, license: str = "other", weights: str = "",
                    preview: np.ndarray | None = None, token: str | None = None) -> str:  # fmt: skip
        """Share this style as the Hub repo ``repo_id`` (its pack, a model card, ``preview`` as a picture), like a
        LoRA; the repo's URL. :mod:`stylehead.style.sharing` says what the repo holds."""
        return StyleRepo(self, repo_id, license, weights, preview).push(private, token)

    @classmethod
    def load(cls, path: str | Path) -> "StylePack":
        """Read and validate a pack; :class:`StyleheadError` (one sentence) for anything wrong."""
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        path = Path(path)
        metadata = read_metadata(path)
        header = parse_header(metadata.get("header", ""), path.name)
        try:
            tensors = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as err:
            raise StyleheadError(f"{path.name} is not a valid style pack ({err}).") from None
        check_tensors(tensors, path.name)
        return cls(
            name=header["name"],
            reference_landmarks=tensors["references.landmarks"],
            reference_face_points=tensors["references.face_points"],
            pose_mean=tensors["pose.mean"],
            pose_std=tensors["pose.std"],
            pose_speed=float(tensors["pose.speed"][0]),
            blink_rate_per_minute=float(tensors["blink.rate_per_minute"][0]),
            blink_duration=float(tensors["blink.duration"][0]),
            source=str(header.get("source", "")),
            licence=str(header.get("licence", "")),
            learned=[str(x) for x in header.get("learned", [])],
            not_learned=[str(x) for x in header.get("not_learned", [])],
            metrics={str(k): float(v) for k, v in dict(header.get("metrics", {})).items()},
            deltas={k[len(DELTA_PREFIX) :]: v for k, v in tensors.items() if k.startswith(DELTA_PREFIX)},
            base=str(header.get("base", "")),
            pose_track=tensors.get(TRACK),
            expression=tensors.get(EXPRESSION),
            brow_track=tensors.get(BROWS),
        )


def read_metadata(path: Path) -> dict[str, str]:
    """The metadata of the style pack ``path``, after checking its header (:func:`~stylehead.safe_loading.read_header`)
    and that its tensors are a style's."""
    header = read_header(path, "a style pack", MAX_HEADER_BYTES, MAX_FILE_BYTES)
    metadata = header.metadata
    if metadata.get("format") != FORMAT:
        raise StyleheadError(f"{path.name} is not a style pack: it is a safetensors file, but not a stylehead style.")
    version = metadata.get("version")
    if version not in READABLE_VERSIONS:
        raise StyleheadError(
            f"{path.name} is a style pack of version {version!r}; "
            f"this stylehead reads versions {', '.join(READABLE_VERSIONS)}."
        )
    expected = dict(REQUIRED)
    if version in ("2", "3"):
        expected[TRACK] = (None, np.float32)
    if version == "3":
        expected[EXPRESSION] = ((68, 3), np.float32)
        expected[BROWS] = (None, np.float32)
    check_layout(header, expected, path.name, "a valid style pack", extra_prefix=DELTA_PREFIX)
    if version in ("2", "3") and not track_shape_ok(header.tensors[TRACK].shape):
        raise StyleheadError(f"{path.name} is not a valid style pack: {TRACK} is {list(header.tensors[TRACK].shape)}, "
                             f"not [frames, 6] with 2 to {MAX_TRACK_FRAMES} frames.")  # fmt: skip
    return metadata
