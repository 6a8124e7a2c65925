"""Real talking-face clips in stylehead's motion space: the sound, and the face at 60 fps in the face frame.

One code path turns a video into what the motion models are trained on (``train/preprocess.py``)
and what they are scored against (``stylehead evaluate lipsync``).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylehead.audio.features import FPS, num_video_frames
from stylehead.face.frontal import to_face_frame
from stylehead.face.tracking import track_video
from stylehead.media import read_audio


@dataclass
class RealClip:
    """A tracked clip resampled to the audio's 60-fps frames."""

    audio: np.ndarray  # (N,) float32, 16 kHz
    face_points: np.ndarray  # (T, 68, 3) float32 face-frame mm, T = num_video_frames(N)
    pose: np.ndarray  # (T, 6) float32: rotation vector (rad) + translation (mm)
    valid: np.ndarray  # (T,) bool: a face was really found there
    source_fps: float  # frame rate of the video


def load_real_clip(path: str | Path) -> RealClip:
    """Read the sound of a video, track its face and lift the track into the face frame at 60 fps."""
    audio = read_audio(path)
    track = track_video(path)
    landmarks, pose, valid = track.resampled(num_video_frames(len(audio)), FPS)
    return RealClip(audio, to_face_frame(landmarks, pose, track.image_size), pose, valid, track.fps)
