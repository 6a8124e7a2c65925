"""Scoring predicted mouth motion against a real clip, and the two baselines it must beat.

- ``static``: the mouth never moves (the rest shape in every frame).
- ``loudness``: displacements linear in the log RMS loudness of the audio, fitted by least squares
  on the training set (:class:`LoudnessBaseline`).
"""

from dataclasses import dataclass

import numpy as np

from stylehead.metrics import lipsync_metrics
from stylehead.motion.rest_shape import apply_displacements

LOUDNESS_FLOOR = 1e-4


def loudness_design(loudness: np.ndarray) -> np.ndarray:
    """(T,) RMS → (T, 2) regressors [1, log RMS]."""
    return np.stack([np.ones_like(loudness), np.log(np.maximum(loudness, LOUDNESS_FLOOR))], axis=1)


@dataclass
class LoudnessBaseline:
    """Per-coordinate linear map from [1, log RMS] to landmark displacements."""

    coefficients: np.ndarray  # (2, P·3)

    @classmethod
    def fit(cls, loudness: list[np.ndarray], motion: list[np.ndarray]) -> "LoudnessBaseline":
        design = np.concatenate([loudness_design(x) for x in loudness])
        target = np.concatenate([m.reshape(len(m), -1) for m in motion])
        return cls(np.linalg.lstsq(design, target, rcond=None)[0].astype(np.float32))

    def predict(self, loudness: np.ndarray) -> np.ndarray:
        """(T,) RMS → (T, P, 3) displacements."""
        return (loudness_design(loudness) @ self.coefficients).reshape(len(loudness), -1, 3).astype(np.float32)


def score_clip(
    motion: np.ndarray, rest: np.ndarray, points: tuple[int, ...], real: np.ndarray, valid: np.ndarray
) -> dict[str, float]:
    """Metrics of (T, P, 3) predicted displacements against (T, 68, 3) real face-frame points."""
    count = min(len(motion), len(real))
    predicted = apply_displacements(rest, motion[:count], points)
    keep = valid[:count]
    return lipsync_metrics(predicted[keep], real[:count][keep])


def summarise(rows: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each metric over clips."""
    return {key: float(np.mean([row[key] for row in rows])) for key in rows[0]} if rows else {}
