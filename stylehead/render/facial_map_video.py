"""Motion made visible before any rendering: the paper's facial map (Fig. 3) animated, with sound.

The template face (or any rest shape) is moved by the generated mouth/eye displacements, blinks and
head pose, projected by a pinhole camera onto a square canvas and drawn as the facial map. This is
what the Style-Aware Generator reads, and a quick way to judge lip sync and head motion by eye.
"""

from pathlib import Path

import numpy as np

from stylehead.face.eyelids import close_eyes
from stylehead.face.facial_map import draw_facial_map
from stylehead.face.frontal import to_image
from stylehead.face.landmarks import interocular_distance
from stylehead.face.pose import load_template
from stylehead.face.rest_shape import apply_displacements
from stylehead.media import VideoWriter
from stylehead.motion.data import Motion, resample_motion

FACE_WIDTH_SHARE = 0.24  # interocular distance as a share of the canvas, as in stylehead's face crops


def posed_landmarks(motion: Motion, size: int, rest: np.ndarray | None = None) -> np.ndarray:
    """(T, 68, 2) canvas pixels of the rest face moved by ``motion``, facing the camera."""
    rest = load_template().points.astype(np.float32) if rest is None else rest
    face = close_eyes(apply_displacements(rest, motion.displacement, motion.points), motion.blink)
    focal = 1.2 * size  # stylehead.face.pose.camera_matrix for a square image
    distance = focal * float(interocular_distance(rest[None])[0]) / (FACE_WIDTH_SHARE * size)
    pose = np.zeros((len(motion), 6), np.float32)
    pose[:, :3] = np.radians(motion.pose[:, :3])
    pose[:, 3:] = motion.pose[:, 3:] + np.array([0.0, 0.0, distance], np.float32)
    return to_image(face, pose, (size, size))


def write_landmark_video(motion: Motion, audio: np.ndarray | str | Path, path: str | Path, fps: float = 30.0,
                         size: int = 512, colored: bool = True, overwrite: bool = True) -> Path:  # fmt: skip
    """Draw the facial map of every frame and write an H.264 + AAC mp4 with the audio (an existing file at
    ``path`` is kept unless ``overwrite``)."""

    points = posed_landmarks(resample_motion(motion, fps), size)
    with VideoWriter(path, fps=fps, audio=audio, overwrite=overwrite) as writer:
        for frame_points in points:
            canvas = draw_facial_map(frame_points, size=size, colored=colored)
            writer.write(canvas if colored else np.repeat(canvas[..., None], 3, axis=2))
    return Path(path)
