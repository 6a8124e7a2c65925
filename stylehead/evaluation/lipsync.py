"""Scoring predicted mouth motion against a real clip, and the two baselines it must beat.

- ``static``: the mouth never moves (the rest shape in every frame).
- ``loudness``: displacements linear in the clip's RMS envelope (RMS over the clip's 95th
  percentile, so that recording gain does not matter), fitted by least squares on the training set
  (:class:`LoudnessBaseline`). Fitting log RMS instead was measured worse (mean r −0.06 against
  0.07 on the validation speakers): silence floors differ between recordings far more than speech.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylehead.audio.phones import frame_rms
from stylehead.errors import StyleheadError
from stylehead.evaluation.metrics import RATIO_METRICS, lipsync_metrics
from stylehead.evaluation.report import Column
from stylehead.face.rest_shape import apply_displacements, rest_shape
from stylehead.hub import resolve_weights
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.real_clips import load_real_clip
from stylehead.safe_loading import load_tensors
from stylehead.weights_index import WeightsIndex

ENVELOPE_PERCENTILE = 95
ENVELOPE_MAX = 1.5


def loudness_design(loudness: np.ndarray) -> np.ndarray:
    """(T,) RMS of one clip → (T, 2) regressors [1, RMS / the clip's 95th percentile (≤ 1.5)]."""
    reference = max(float(np.percentile(loudness, ENVELOPE_PERCENTILE)), 1e-6)
    envelope = np.clip(loudness / reference, 0.0, ENVELOPE_MAX)
    return np.stack([np.ones_like(envelope), envelope], axis=1)


@dataclass
class LoudnessBaseline:
    """Per-coordinate linear map from [1, relative RMS envelope] to landmark displacements."""

    coefficients: np.ndarray  # (2, P·3)

    @classmethod
    def fit(cls, loudness: list[np.ndarray], motion: list[np.ndarray]) -> "LoudnessBaseline":
        design = np.concatenate([loudness_design(x) for x in loudness])
        target = np.concatenate([m.reshape(len(m), -1) for m in motion])
        return cls(np.linalg.lstsq(design, target, rcond=None)[0].astype(np.float32))

    @classmethod
    def from_pretrained(cls, source: str | Path | None = None) -> "LoudnessBaseline":
        """The baseline fitted with a bundle's generator (``train/train_motion.py``; None: the default bundle)."""
        index = WeightsIndex.read(resolve_weights(source))
        path = index.file("loudness_baseline")
        if path is None:
            raise StyleheadError(f"{index.folder} has no loudness baseline to compare with; bundle the weights "
                                 "with train/bundle_weights.py.")  # fmt: skip
        tensors, _ = load_tensors(path, {"coefficients": (None, np.float32)}, "a loudness baseline")
        return cls(tensors["coefficients"])

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
    """Each metric over clips: the mean, or the median for ratios (amplitude, closure)."""
    if not rows:
        return {}
    average = {key: np.median if key in RATIO_METRICS else np.mean for key in rows[0]}
    return {key: float(average[key]([row[key] for row in rows])) for key in rows[0]}


METHODS = ("model", "loudness", "static")
TABLE = [Column("mouth_corr", "mouth_corr"), Column("lmd", "lmd"), Column("dv", "dv"), Column("da", "da %", ".1f"),
         Column("amplitude", "amplitude", ".2f"), Column("closure", "closure", ".2f")]  # fmt: skip


def evaluate_lipsync(clips: list[Path], motion_model: AudioToMotion, baseline: LoudnessBaseline,
                     progress: Callable[[dict], None] | None = None,
                     live: Callable[[np.ndarray], np.ndarray] | None = None) -> dict:  # fmt: skip
    """Track each real clip, predict its mouth from its audio alone, and score model and baselines.

    ``live`` (audio → (T, P, 3) displacements: :func:`stylehead.live.motion_stream.live_mouth_and_eyes`)
    adds the method ``live``: the same model, run as a live session runs it.

    Returns ``{"summary": {method: metrics}, "clips": [{"clip", "frames", method: metrics}]}``;
    clips without sound or without a face are listed under ``"skipped"`` with the reason.
    """
    points = motion_model.points
    rows, skipped = [], []
    for path in clips:
        try:
            clip = load_real_clip(path)
        except StyleheadError as err:
            skipped.append({"clip": path.name, "reason": str(err)})
            continue
        audio, real, valid, count = clip.audio, clip.face_points, clip.valid, len(clip.valid)
        rest = rest_shape(real, valid)
        features = motion_model.audio_features(audio)
        predictions = {
            "model": motion_model.mouth_and_eyes(features),
            "loudness": baseline.predict(frame_rms(audio, count)),
            "static": np.zeros((count, len(points), 3), np.float32),
        }
        if live is not None:
            predictions["live"] = live(audio)
        row = {"clip": path.name, "frames": int(valid.sum())}
        for method, motion in predictions.items():
            row[method] = score_clip(motion, rest, points, real, valid)
        rows.append(row)
        if progress is not None:
            progress(row)
    methods = METHODS + (("live",) if live is not None else ())
    summary = {method: summarise([row[method] for row in rows]) for method in methods} if rows else {}
    return {"summary": summary, "clips": rows, "skipped": skipped}
