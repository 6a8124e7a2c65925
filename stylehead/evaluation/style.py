"""The paper's style comparison (§7.2.4, Table 3): ``python -m stylehead evaluate style``.

For each reference video: learn its style, then drive the reference's own face (as the portrait, its
frame nearest its median head pose with the mouth at rest: :func:`portrait_frame`) with audio that
is not the reference's, once with the default ("neutral") motion and once with the learned style,
and compare each to the reference:

- SLD, SLV and SMD (:func:`stylehead.evaluation.metrics.style_metrics`, the paper's eq. 14-16 over its grid of
  window sizes 1..100 and strides 1..20) between the reference's tracked landmarks and the
  landmarks the renderer is told to draw (the commanded landmarks, in the reference's pixels, at
  its frame rate);
- head pose statistics: the standard deviation of each rotation angle and the mean angular speed,
  generated ÷ reference (``pose_std_ratio`` is the mean of the three angles' ratios; the per-angle
  ratios are in each row). Both sides are measured the same way, from landmarks: the reference's
  tracked head pose, and the pose estimated (with the tracker's own pose solver) from the landmarks
  the renderer is told to draw, so what the pose limits and the framing do to the motion counts. The
  pack's own statistics, which a replayed style is rescaled to, are not used: with them this
  comparison would pass by construction.

Driving audio: the files of ``--audio`` in turn, skipping any with the reference's own name, cut
to the reference's length (at least :data:`MIN_SECONDS`, so every window size fits).
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.evaluation.metrics import style_metrics
from stylehead.evaluation.report import Column, score_each
from stylehead.face.pose import estimate_pose, relative_pose
from stylehead.face.tracking import Track, track_video
from stylehead.media import SAMPLE_RATE, read_audio, read_frames
from stylehead.motion.data import MotionControls, resample_motion
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.style.learn import LearnStyleConfig, learn_style
from stylehead.style.library import styled, styled_portrait
from stylehead.style.models import StyleModels

METHODS = ("neutral", "transferred")
KEYS = ("sld", "slv", "smd", "pose_std_ratio", "pose_speed_ratio")
TABLE = [Column(key, title) for key, title in zip(KEYS, ("SLD", "SLV", "SMD", "pose std", "pose speed"), strict=True)]
MIN_SECONDS = 6.0
MAX_SECONDS = 20.0


def portrait_frame(track: Track) -> int:
    """The reference's own neutral face: among its valid frames with the mouth in the least-open
    30%, the one whose head pose is nearest the video's median pose."""
    pose = relative_pose(track.pose, track.valid)
    opening = track.mouth_opening
    candidates = np.flatnonzero(track.valid & (opening <= np.quantile(opening[track.valid], 0.3)))
    distance = np.linalg.norm(pose[candidates, :3], axis=1) + 0.02 * np.linalg.norm(pose[candidates, 3:], axis=1)
    return int(candidates[np.argmin(distance)])


def pose_figures(pose: np.ndarray, valid: np.ndarray, fps: float) -> tuple[np.ndarray, float]:
    """(3,) standard deviation of the rotation angles (degrees) and the mean angular speed (degrees/s) of a
    (T, 6) head pose (rotation vector in radians, translation mm) over its valid frames."""
    rotation = relative_pose(pose, valid)[:, :3]
    both = valid[1:] & valid[:-1]
    speed = float(np.linalg.norm(np.diff(rotation, axis=0)[both], axis=1).mean() * fps) if both.any() else 0.0
    return rotation[valid].std(0), speed


def commanded_pose(landmarks: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """(T, 6) head pose estimated from (T, 68, 2) commanded landmarks, as the tracker estimates a video's."""
    poses, guess = [], None
    for points in landmarks:
        guess, _ = estimate_pose(points, image_size, guess)
        poses.append(guess)
    return np.array(poses)


def evaluate_reference(path: Path, audio_path: Path, models: StyleModels, seed: int = 0,
                       config: LearnStyleConfig | None = None) -> dict:  # fmt: skip
    """Score one reference against the audio in ``audio_path``."""
    track = track_video(path)
    pack = learn_style(path, models, config=config, track=track)
    frame = portrait_frame(track)
    portrait = Portrait.from_image(read_frames(path, {frame})[frame], path.name, models.rest_estimate)
    renderer = WarpRenderer(portrait, RenderConfig(mode="full", size="original"))
    seconds = float(np.clip(len(track) / track.fps, MIN_SECONDS, MAX_SECONDS))
    audio = read_audio(audio_path)[: round(seconds * SAMPLE_RATE)]
    if len(audio) < SAMPLE_RATE:
        raise StyleheadError(f"{audio_path.name} is shorter than a second.")
    reference = track.landmarks[track.valid]
    reference_std, reference_speed = pose_figures(track.pose, track.valid, track.fps)
    base = MotionControls(seed=seed)
    methods = {"neutral": (models.motion, base), "transferred": styled(models.motion, pack, base)}
    row = {"reference": path.name, "audio": audio_path.name, "seconds": round(seconds, 2),
           "learned": pack.learned, "not_learned": pack.not_learned}  # fmt: skip
    styled_renderer = WarpRenderer(styled_portrait(portrait, pack), renderer.config)
    for method, (model, controls) in methods.items():
        motion = resample_motion(model(audio, controls), track.fps)
        landmarks = (styled_renderer if method == "transferred" else renderer).targets(motion).landmarks
        std, speed = pose_figures(commanded_pose(landmarks, track.image_size), np.ones(len(landmarks), bool),
                                  track.fps)  # fmt: skip
        ratios = std / np.maximum(reference_std, 1e-6)
        row[method] = {
            **style_metrics(reference, landmarks),
            "pose_std_ratio": float(ratios.mean()),
            "pose_std_ratio_per_angle": [round(float(r), 3) for r in ratios],
            "pose_speed_ratio": float(speed / max(reference_speed, 1e-6)),
        }
    return row


def evaluate_style(references: list[Path], audio: list[Path], models: StyleModels, seed: int = 0,
                   progress: Callable[[dict], None] | None = None, config: LearnStyleConfig | None = None
                   ) -> dict:  # fmt: skip
    """Score every reference; ``{"summary": {method: metrics, "improvement": ...}, "references": [...]}``."""
    if not audio:
        raise StyleheadError("No driving audio was given.")

    def score(index: int, path: Path) -> dict:
        choices = [a for a in audio if a.stem != path.stem] or audio  # never the reference's own audio
        return evaluate_reference(path, Path(choices[index % len(choices)]), models, seed, config)

    rows, skipped = score_each(references, score, "reference", progress)
    return {"summary": summarise(rows) if rows else {}, "references": rows, "skipped": skipped}


def summarise(rows: list[dict]) -> dict:
    """Mean figures of each method, the mean relative improvement of transferred over neutral with its share of
    wins, and the share of references whose head pose lands within 35% of the reference's."""
    summary: dict = {method: {key: float(np.mean([row[method][key] for row in rows])) for key in KEYS}
                     for method in METHODS}  # fmt: skip
    summary["improvement"] = {}
    for key in ("sld", "slv", "smd"):
        gains = [1 - row["transferred"][key] / row["neutral"][key] for row in rows]
        summary["improvement"][key] = {"mean": float(np.mean(gains)),
                                       "share_closer": float(np.mean([gain > 0 for gain in gains]))}  # fmt: skip
    within = [
        all(abs(r - 1) <= 0.35 for r in row["transferred"]["pose_std_ratio_per_angle"])
        and abs(row["transferred"]["pose_speed_ratio"] - 1) <= 0.35
        for row in rows
    ]
    summary["transferred_pose_within_35_percent"] = float(np.mean(within))
    summary["references"] = len(rows)
    return summary


def speaker_folds(references: list[str], speaker_of: dict[str, str], folds: int) -> dict[str, int]:
    """Reference name → fold, every reference of a speaker in one fold (speakers with most references dealt
    first, each to the fold with the fewest references so far; ties by name)."""
    by_speaker: dict[str, list[str]] = {}
    for name in references:
        by_speaker.setdefault(speaker_of.get(Path(name).stem, Path(name).stem), []).append(name)
    sizes, assignment = [0] * folds, {}
    for speaker in sorted(by_speaker, key=lambda s: (-len(by_speaker[s]), s)):
        fold = min(range(folds), key=lambda k: (sizes[k], k))
        sizes[fold] += len(by_speaker[speaker])
        assignment.update({name: fold for name in by_speaker[speaker]})
    return assignment


def fold_summaries(report: dict, speaker_of: dict[str, str], folds: int) -> dict[str, dict]:
    """:func:`summarise` per fold of speakers (``fold0`` …): the same figures on references no other fold shares
    a speaker with. The method has no setting chosen on these references, so every fold scores it as it is."""
    rows = report["references"]
    assignment = speaker_folds([row["reference"] for row in rows], speaker_of, folds)
    return {f"fold{k}": summarise([row for row in rows if assignment[row["reference"]] == k]) for k in range(folds)
            if any(assignment[row["reference"]] == k for row in rows)}  # fmt: skip
