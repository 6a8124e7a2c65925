"""A speaker's rest shape, and motion as displacements from it (the generators' targets and outputs)."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.face.landmarks import INNER_LIP_PAIRS, JAW, MOUTH, interocular_distance, lip_gap, mouth_opening
from stylehead.hub import resolve_weights
from stylehead.safe_loading import load_tensors
from stylehead.weights_index import WeightsIndex

REST_QUANTILE = 0.2  # the rest shape is the median of the frames whose mouth is in the least-open 20%


def rest_shape(face_points: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """(T, 68, 3) face-frame points → (68, 3): the face with its mouth at rest."""
    points = face_points if valid is None or not valid.any() else face_points[valid]
    opening = mouth_opening(points)
    calm = points[opening <= np.quantile(opening, REST_QUANTILE)]
    return np.median(calm, axis=0).astype(np.float32)


def displacements(face_points: np.ndarray, rest: np.ndarray, points: tuple[int, ...]) -> np.ndarray:
    """(T, 68, 3) points → (T, P, 3) float32 displacements of the chosen landmarks from ``rest``."""
    return (face_points[:, list(points)] - rest[list(points)]).astype(np.float32)


def apply_displacements(rest: np.ndarray, motion: np.ndarray, points: tuple[int, ...]) -> np.ndarray:
    """(68, 3) rest shape + (T, P, 3) displacements → (T, 68, 3) face-frame points."""
    out = np.repeat(rest[None], len(motion), axis=0).astype(np.float32)
    out[:, list(points)] += motion
    return out


REST_LIP_GAP = 0.04  # median inner-lip gap of the training speakers' rest shapes, in interocular distances
_LOWER_OUTER = {55: 0.5, 56: 0.9, 57: 1.0, 58: 0.9, 59: 0.5}  # share of the mean excess each point moves
_JAW = {5: 0.15, 6: 0.35, 7: 0.6, 8: 0.7, 9: 0.6, 10: 0.35, 11: 0.15}


def close_to_rest(points: np.ndarray, rest_gap: float = REST_LIP_GAP) -> np.ndarray:
    """A (68, 3) face-frame shape with its mouth closed to a rest gap; returns a new array.

    Motion is learned as displacement from a speaker's rest shape (mouth at rest). A portrait
    caught mid-word has an open mouth; adding speech motion to it would leave the mouth open
    through every silence. This lifts the lower lip and jaw by the opening beyond ``rest_gap``
    (interocular distances), pair by pair for the inner lip and in proportion for the rest.
    """

    out = points.astype(np.float32).copy()
    upper = np.array([a for a, _ in INNER_LIP_PAIRS])
    lower = np.array([b for _, b in INNER_LIP_PAIRS])
    gap = points[lower] - points[upper]  # (3, 3)
    down = gap.mean(0)
    if np.linalg.norm(down) < 1e-6:
        return out
    down = down / np.linalg.norm(down)
    target = rest_gap * float(interocular_distance(points[None])[0])
    excess = np.maximum(gap @ down - target, 0.0)  # (3,) per pair
    if not excess.any():
        return out
    out[lower] -= excess[:, None] * down
    for index, share in [*_LOWER_OUTER.items(), *_JAW.items()]:
        out[index] -= share * excess.mean() * down
    return out


# A portrait's rest shape ----------------------------------------------------------------------------
#
# A portrait is one frame: its mouth may be caught open mid-word. Opening the mouth does more than
# part the inner lips: the lower lip thins and drops, the corners draw in, the chin and the lower jaw
# follow. :class:`RestEstimate` holds how far each lip and jaw point moves per unit of opening beyond
# rest, fitted on real clips (the speaker's true rest shape against each of their frames), and undoes
# it; :func:`close_to_rest` then sets each inner-lip pair to the rest gap. On clips of speakers held
# out of the fit this places the rest mouth 16% closer than ``close_to_rest`` alone and leaves
# frames already at rest as they are (``python train/fit_rest_estimate.py`` prints both).

REST_POINTS = MOUTH + JAW[5:12]  # the lips and the lower jaw (the points that move with the mouth)


def _outer_gap(points: np.ndarray) -> np.ndarray:
    """(..., 68, D) → (...,): distance between the outer lips' top and bottom centres (51, 57)."""
    return np.linalg.norm(points[..., 57, :2] - points[..., 51, :2], axis=-1)


@dataclass(frozen=True)
class RestEstimate:
    """A portrait's rest shape from its single frame: the learned motion of opening, undone."""

    weights: np.ndarray  # (2, len(REST_POINTS) * 3) float32: displacement per excess (inner, outer) gap
    outer_rest_gap: float  # outer-lip gap at rest (the training speakers' median), interocular distances

    def excess_opening(self, points: np.ndarray) -> np.ndarray:
        """(..., 68, 3) → (..., 2): inner and outer lip gaps beyond rest, in interocular distances."""
        scale = np.maximum(interocular_distance(points), 1e-6)
        inner = lip_gap(points) / scale - REST_LIP_GAP
        outer = _outer_gap(points) / scale - self.outer_rest_gap
        return np.maximum(np.stack([inner, outer], axis=-1), 0.0)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """A (68, 3) face-frame shape → a new (68, 3) shape with its mouth at rest."""
        scale = float(interocular_distance(points[None])[0])
        out = points.astype(np.float32).copy()
        opening = self.excess_opening(points[None])[0]
        out[list(REST_POINTS)] -= (opening @ self.weights).reshape(-1, 3) * scale
        closed = close_to_rest(points)
        for upper, lower in INNER_LIP_PAIRS:  # the inner-lip gap, pair by pair, as close_to_rest sets it
            out[lower] = out[upper] + (closed[lower] - closed[upper])
        return out

    @classmethod
    def fit(cls, clips: list[tuple[np.ndarray, np.ndarray]], ridge: float = 1e-4) -> "RestEstimate":
        """Fit on ``(frames (T, 68, 3), rest (68, 3))`` pairs of real speakers (ridge regression, no
        intercept: a frame at rest moves nothing)."""
        outer_rest = float(np.median([_outer_gap(rest) / interocular_distance(rest) for _, rest in clips]))
        estimate = cls(np.zeros((2, len(REST_POINTS) * 3), np.float32), outer_rest)
        features, targets = [], []
        for frames, rest in clips:
            scale = np.maximum(interocular_distance(frames), 1e-6)[:, None, None]
            features.append(estimate.excess_opening(frames))
            moved = (frames - rest[None])[:, list(REST_POINTS)] / scale
            targets.append(moved.reshape(len(frames), -1))
        x, y = np.concatenate(features), np.concatenate(targets)
        weights = np.linalg.solve(x.T @ x + ridge * len(x) * np.eye(2), x.T @ y)
        return cls(weights.astype(np.float32), outer_rest)

    def save(self, path: str | Path, metadata: dict[str, str] | None = None) -> None:
        from safetensors.numpy import save_file

        tensors = {"weights": self.weights, "outer_rest_gap": np.array([self.outer_rest_gap], np.float32)}
        save_file(tensors, str(path), metadata={"format": "stylehead-rest-estimate", **(metadata or {})})

    @classmethod
    def from_pretrained(cls, source: str | Path | None = None) -> "RestEstimate":
        """The rest estimate of a weights bundle (see :mod:`stylehead.hub`; None: the default bundle's)."""
        index = WeightsIndex.read(resolve_weights(source))
        path = index.file("rest_estimate")
        if path is None:
            raise StyleheadError(f"{index.folder} has no rest estimate; it is not a complete stylehead bundle.")
        return cls.load(path)

    @classmethod
    def load(cls, path: str | Path) -> "RestEstimate":
        """:class:`~stylehead.errors.StyleheadError` when ``path`` is not a rest estimate."""
        expected = {"weights": ((2, len(REST_POINTS) * 3), np.float32), "outer_rest_gap": ((1,), np.float32)}
        tensors, _ = load_tensors(path, expected, "a stylehead rest estimate")
        weights, outer = tensors["weights"], float(tensors["outer_rest_gap"][0])
        if not (np.isfinite(weights).all() and 0.0 < outer < 1.0):
            raise StyleheadError(f"{Path(path).name} is not a stylehead rest estimate: its values are out of range.")
        return cls(weights, outer)


@lru_cache(maxsize=1)
def _default_estimate() -> RestEstimate:
    return RestEstimate.from_pretrained()


def portrait_rest(points: np.ndarray, estimate: RestEstimate | None = None) -> np.ndarray:
    """A (68, 3) face-frame shape from one frame → a new (68, 3) shape with its mouth at rest, by
    ``estimate`` (a bundle's :class:`RestEstimate`, fitted by ``train/fit_rest_estimate.py``; None: the
    default bundle's)."""
    return (estimate or _default_estimate())(points)
