"""Head-pose and blink statistics of a reference video: the parts of a style that need no training.

The head pose of each valid frame is taken about the clip's median pose (as the head pose model
is trained), and its mean and standard deviation per value and its mean angular speed are the
style's pose statistics. The head motion itself, resampled to 60 fps (:func:`pose_track`), is what
a style plays (``MotionControls.pose_track``); the statistics describe it, and rescale the sampled
motion for a style pack that has no track (``MotionControls.pose_std``, ``MotionControls.pose_speed``). Blink
rate and duration come from the eyelid gap (:func:`stylehead.motion.blinks.measure_blinks`).
"""

import numpy as np
from scipy.ndimage import gaussian_filter1d

from stylehead.audio.features import FPS
from stylehead.errors import StyleheadError
from stylehead.face.frontal import to_face_frame
from stylehead.face.landmarks import interocular_distance
from stylehead.face.pose import relative_pose
from stylehead.face.tracking import Track
from stylehead.motion.blinks import BlinkConfig, measure_blinks
from stylehead.motion.data import BROW_POINTS


def pose_statistics(track: Track) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of the (6,) head pose (degrees, mm) over the track's valid frames."""

    if track.valid.sum() < 2:
        raise StyleheadError("The style video shows a face in fewer than 2 frames; head motion cannot be measured.")
    pose = relative_pose(track.pose, track.valid)[track.valid]
    return pose.mean(0).astype(np.float32), pose.std(0).astype(np.float32)


def pose_track(track: Track, fps: float = FPS) -> np.ndarray:
    """(N, 6) float32: the reference's own head motion at ``fps`` (degrees and mm about its median
    pose), from its first to its last frame with a face, gaps without one bridged linearly."""

    frames = np.flatnonzero(track.valid)
    if len(frames) < 2:
        raise StyleheadError("The style video shows a face in fewer than 2 frames; head motion cannot be measured.")
    pose = relative_pose(track.pose, track.valid)
    times = frames / track.fps
    count = max(2, round(float(times[-1] - times[0]) * fps) + 1)
    at = times[0] + np.arange(count) / fps
    return np.stack([np.interp(at, times, pose[frames, k]) for k in range(6)], 1).astype(np.float32)


MAX_BROW_MOTION = 0.15  # interocular distances: a brow track beyond this is a tracking glitch, clipped
BROW_SMOOTHING_FRAMES = 3.0  # Gaussian σ at 60 fps, as the head's rotation (audio_to_motion.POSE_SMOOTHING_FRAMES):
# brows lifted into the face frame carry the pose estimate's jitter, which replayed raised SLV (docs/decisions.md)


def brow_track(track: Track, fps: float = FPS) -> np.ndarray:
    """(N, 10, 3) float32: the reference's brows in the face frame at ``fps``, the same frames as
    :func:`pose_track`, in interocular distances about their median place (their held position is the
    style's expression, :mod:`stylehead.face.expression`); gaps without a face bridged linearly, the
    pose estimate's jitter smoothed away (:data:`BROW_SMOOTHING_FRAMES`)."""
    frames = np.flatnonzero(track.valid)
    if len(frames) < 2:
        raise StyleheadError("The style video shows a face in fewer than 2 frames; head motion cannot be measured.")
    face = to_face_frame(track.landmarks[frames], track.pose[frames], track.image_size)
    brows = face[:, list(BROW_POINTS)] / np.maximum(interocular_distance(face), 1e-6)[:, None, None]
    brows = np.clip(brows - np.median(brows, axis=0), -MAX_BROW_MOTION, MAX_BROW_MOTION)
    times = frames / track.fps
    count = max(2, round(float(times[-1] - times[0]) * fps) + 1)
    at = times[0] + np.arange(count) / fps
    flat = brows.reshape(len(frames), -1)
    resampled = np.stack([np.interp(at, times, column) for column in flat.T], 1)
    smoothed = gaussian_filter1d(resampled, BROW_SMOOTHING_FRAMES * fps / FPS, axis=0, mode="nearest")
    return smoothed.reshape(count, -1, 3).astype(np.float32)


def pose_speed(track: Track) -> float:
    """Mean angular speed of the head (degrees per second) over pairs of consecutive valid frames."""
    return tracked_pose_speed(track.pose, track.valid, track.fps)


def tracked_pose_speed(pose: np.ndarray, valid: np.ndarray, fps: float) -> float:
    """:func:`pose_speed` of a (T, 6) tracked pose with a (T,) validity mask."""
    rotation = relative_pose(pose, valid)[:, :3]
    both = valid[1:] & valid[:-1]
    if not both.any():
        return 0.0
    return float(np.linalg.norm(np.diff(rotation, axis=0)[both], axis=1).mean() * fps)


BLINK_PRIOR_MINUTES = 0.25  # a short reference's blink count is pooled with this much of the default rate


def blink_statistics(track: Track) -> BlinkConfig:
    """Blink rate and duration measured on the track's valid frames.

    People blink every few seconds, so a 10 s clip may show none: the count is pooled with
    :data:`BLINK_PRIOR_MINUTES` of the default rate (``(blinks + prior_rate · m) / (minutes + m)``),
    which leaves a minute-long reference's rate nearly as measured and keeps a short one's plausible.
    """
    measured = measure_blinks(track.eye_opening[track.valid], track.fps)
    minutes = track.valid.sum() / track.fps / 60.0
    prior = BlinkConfig().rate_per_minute
    rate = (measured.rate_per_minute * minutes + prior * BLINK_PRIOR_MINUTES) / (minutes + BLINK_PRIOR_MINUTES)
    return BlinkConfig(rate_per_minute=float(rate), duration=measured.duration)
