"""Motion as plain data: what the motion models produce and the renderer reads, and the controls that shape it.

Nothing here runs a model; every layer above ``face`` may import it.
"""

from dataclasses import dataclass

import numpy as np

from stylehead.audio.features import FPS
from stylehead.face.landmarks import EYES, LEFT_BROW, MOUTH, RIGHT_BROW
from stylehead.motion.blinks import BlinkConfig

LOWER_JAW = tuple(range(5, 12))  # the jaw line that moves with the mouth (LSP predicts 7 jaw points too)
MOTION_POINTS = MOUTH + LOWER_JAW + EYES  # the 39 landmarks the mouth and eye generator moves
BROW_POINTS = RIGHT_BROW + LEFT_BROW  # moved by a style's brow track, when it has one
INTEROCULAR_MM = 63.0  # a face's distance between the eye centres: brow tracks (interocular units) → mm


@dataclass
class Motion:
    """Motion for T frames at :attr:`fps`, all relative to the subject's own rest shape and pose."""

    points: tuple[int, ...]  # landmark indices that ``displacement`` moves
    displacement: np.ndarray  # (T, P, 3) float32 face-frame mm, from the rest shape
    pose: np.ndarray  # (T, 6) float32: rotation vector (degrees) + translation (mm), about the rest pose
    blink: np.ndarray  # (T,) float32 eyelid closure in [0, 1]
    fps: float = FPS

    def __len__(self) -> int:
        return len(self.displacement)


@dataclass
class MotionControls:
    """How the generated motion is shaped (the pipeline's user controls)."""

    mouth_scale: float = 1.0  # multiplies mouth and jaw displacements
    head_motion_scale: float = 1.0  # multiplies head rotation and translation
    temperature: float | None = None  # head pose sampling temperature; None: the model's calibrated one
    still: bool = False  # no head motion at all
    blinks: BlinkConfig | None = None  # None: the default blink rate and duration
    seed: int = 0  # same seed, same motion
    pose_std: tuple[float, ...] | None = None  # (6,) a style's head-motion spread (degrees, mm): the
    # sampled motion is rescaled, value by value, to it (before head_motion_scale); None: the head pose
    # model's default_pose_std (the training clips' natural talkers), or as sampled if it has none
    pose_speed: float | None = None  # a style's mean angular head speed (degrees/s): the sampled motion
    # is played faster or slower to reach it (before head_motion_scale); None: as for pose_std
    brow_track: np.ndarray | None = None  # (N, 10, 3) a style's own brow motion at 60 fps, the same frames as
    # pose_track, in interocular distances about the brows' median place: replayed in step with the head
    pose_track: np.ndarray | None = None  # (N, 6) a style's own head motion at 60 fps (degrees, mm): played
    # (replay_pose) instead of sampling the head pose model, then given pose_std and pose_speed
    # (the whole reference's, which an excerpt or a glitch in the track may not have) and head_motion_scale



def resample_motion(motion: Motion, fps: float) -> Motion:
    """The same motion at another frame rate (linear interpolation in time)."""
    count = max(1, round(len(motion) * fps / motion.fps))
    return motion_at(motion, np.arange(count) * (motion.fps / fps), fps)


def motion_at(motion: Motion, positions: np.ndarray, fps: float) -> Motion:
    """The motion at fractional frame ``positions`` (linear interpolation; held at the last frame past the
    end), as frames at ``fps``: :func:`resample_motion`, and a live session's frames as their motion comes."""
    source = np.arange(len(motion))
    positions = np.minimum(positions, source[-1])

    def interpolate(values: np.ndarray) -> np.ndarray:
        flat = values.reshape(len(values), -1)
        out = np.stack([np.interp(positions, source, column) for column in flat.T], axis=1)
        return out.reshape((len(positions), *values.shape[1:])).astype(np.float32)

    return Motion(motion.points, interpolate(motion.displacement), interpolate(motion.pose),
                  interpolate(motion.blink[:, None])[:, 0], fps)  # fmt: skip


def fit_length(motion: Motion, count: int) -> Motion:
    """Cut or extend (holding the last frame) ``motion`` to ``count`` frames."""
    index = np.minimum(np.arange(count), len(motion) - 1)
    return Motion(motion.points, motion.displacement[index], motion.pose[index], motion.blink[index], motion.fps)


