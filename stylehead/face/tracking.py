"""Per-frame 68-point face tracking for videos: landmarks, head pose and validity.

Detection on the whole frame is slow (~50 ms), so it runs only to find the face the first time and
to find it again after losing it. Every other frame re-detects inside a small window around the
previous face, shrunk so that the face is about :data:`ROI_FACE_SIZE` pixels wide (a few ms), which
both follows the face and tells whether it is still there. The 68-point predictor then runs on the
full-resolution frame.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stylehead.errors import NoFaceError
from stylehead.face.detection import FaceBox, detect_faces, detect_hog, predict_landmarks, to_gray
from stylehead.face.landmarks import eye_opening, interocular_distance, mouth_opening
from stylehead.face.pose import estimate_pose
from stylehead.face.smoothing import OneEuroConfig, fill_gaps, smooth_track
from stylehead.media import VideoReader
from stylehead.media.files import atomic_output

ROI_FACE_SIZE = 100  # pixels: the face's width inside the re-detection window
ROI_MARGIN = 0.6  # the window extends this many face widths beyond the previous box on each side
LOST_RETRY_EVERY = 3  # when the face is lost, full-frame detection runs on every n-th frame
MAX_POSE_ERROR = 0.25  # reprojection error (interocular units) above which landmarks are rejected


@dataclass
class TrackerConfig:
    """How a video is tracked."""

    smooth: bool = True  # zero-lag One Euro smoothing of landmarks and pose
    estimate_pose: bool = True  # 6-DoF head pose per frame (needs the 3D template)
    landmark_filter: OneEuroConfig = field(default_factory=OneEuroConfig)
    pose_filter: OneEuroConfig = field(default_factory=lambda: OneEuroConfig(min_cutoff=1.0, beta=0.5))


@dataclass
class Track:
    """A tracked face over time. Invalid frames hold values interpolated from their neighbours."""

    landmarks: np.ndarray  # (T, 68, 2) float32, image pixels
    pose: np.ndarray  # (T, 6) float32: rotation vector (rad) + translation (mm), see face.pose
    valid: np.ndarray  # (T,) bool: a face was really found in this frame
    fps: float
    image_size: tuple[int, int]  # (width, height) of the frames
    audio: np.ndarray | None = None  # (N,) float32 sound of the clip, if kept
    sample_rate: int | None = None  # Hz, of ``audio``
    faces: int = 1  # the most faces one full-frame detection saw (the largest one is tracked); not saved

    def __len__(self) -> int:
        return len(self.landmarks)

    @property
    def mouth_opening(self) -> np.ndarray:
        """(T,) float32 inner-lip gap over interocular distance."""
        return mouth_opening(self.landmarks).astype(np.float32)

    @property
    def eye_opening(self) -> np.ndarray:
        """(T,) float32 eyelid gap over interocular distance."""
        return eye_opening(self.landmarks).astype(np.float32)

    def resampled(self, count: int, fps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The track at another frame rate: landmarks (count, 68, 2), pose (count, 6), valid (count,).

        Landmarks and pose are interpolated linearly; a frame is valid when the nearest source
        frame is. Frames past the end of the video are invalid.
        """
        source_times = np.arange(len(self)) / self.fps
        times = np.arange(count) / fps
        flat = self.landmarks.reshape(len(self), -1)
        landmarks = np.stack([np.interp(times, source_times, c) for c in flat.T], 1).reshape(count, 68, 2)
        pose = np.stack([np.interp(times, source_times, c) for c in self.pose.T], 1)
        nearest = np.clip(np.round(times * self.fps).astype(int), 0, len(self) - 1)
        valid = self.valid[nearest] & (times <= source_times[-1] + 1.0 / self.fps)
        return landmarks.astype(np.float32), pose.astype(np.float32), valid

    def save(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write the track as ``.npz`` (landmarks, pose, valid, fps, image_size and the openings)."""

        arrays = {
            "landmarks": self.landmarks.astype(np.float32),
            "pose": self.pose.astype(np.float32),
            "valid": self.valid.astype(bool),
            "fps": np.float32(self.fps),
            "image_size": np.asarray(self.image_size, dtype=np.int32),
            "mouth_opening": self.mouth_opening,
            "eye_opening": self.eye_opening,
        }
        if self.audio is not None:
            arrays["audio"] = self.audio.astype(np.float32)
            arrays["sample_rate"] = np.int32(self.sample_rate)
        with atomic_output(path, suffix=".npz", overwrite=overwrite) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> "Track":
        with np.load(path, allow_pickle=False) as data:
            return cls(
                landmarks=data["landmarks"],
                pose=data["pose"],
                valid=data["valid"],
                fps=float(data["fps"]),
                image_size=tuple(int(v) for v in data["image_size"]),
                audio=data.get("audio"),
                sample_rate=int(data["sample_rate"]) if "sample_rate" in data else None,
            )


class FaceTracker:
    """Follows one face through frames; call :meth:`update` per frame, or :meth:`track` on all."""

    def __init__(self, config: TrackerConfig | None = None):
        self.config = config or TrackerConfig()
        self._box: FaceBox | None = None
        self._pose: np.ndarray | None = None
        self._lost_for = 0
        self.most_faces = 0  # the most faces one full-frame detection has seen so far

    def update(self, frame: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Landmarks (68, 2) and pose (6,) of the face in one RGB frame, or (None, None) if absent."""
        gray = to_gray(frame)
        box = self._redetect(gray) if self._box is not None else None
        if box is None and (self._box is None or self._lost_for % LOST_RETRY_EVERY == 0):
            box = self._detect(frame)
        if box is None:
            self._lost_for += 1
            return None, None
        landmarks = predict_landmarks(gray, box)
        pose = None
        if self.config.estimate_pose:
            pose, error = estimate_pose(landmarks, (frame.shape[1], frame.shape[0]), self._pose)
            if error > MAX_POSE_ERROR or not np.isfinite(pose).all():
                self._box, self._pose = None, None
                self._lost_for += 1
                return None, None
        self._box, self._pose, self._lost_for = box, pose, 0
        return landmarks, pose

    def _detect(self, frame: np.ndarray) -> FaceBox | None:
        boxes = detect_faces(frame, use_cnn=False, small_faces=False)
        self.most_faces = max(self.most_faces, len(boxes))
        if not boxes:
            return None
        if self._box is None:
            return boxes[0]
        cx, cy = (self._box.left + self._box.right) / 2, (self._box.top + self._box.bottom) / 2
        return min(boxes, key=lambda b: abs((b.left + b.right) / 2 - cx) + abs((b.top + b.bottom) / 2 - cy))

    def _redetect(self, gray: np.ndarray) -> FaceBox | None:
        import cv2

        box, (height, width) = self._box, gray.shape
        margin = ROI_MARGIN * box.width
        x0, y0 = max(0, int(box.left - margin)), max(0, int(box.top - margin))
        x1, y1 = min(width, int(box.right + margin)), min(height, int(box.bottom + margin))
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None
        factor = ROI_FACE_SIZE / max(box.width, 1.0)
        roi = gray[y0:y1, x0:x1]
        size = (max(1, round((x1 - x0) * factor)), max(1, round((y1 - y0) * factor)))
        roi = cv2.resize(roi, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
        found = [b.scaled(1 / factor, x0, y0) for b in detect_hog(roi)]
        if not found:
            return None
        cx, cy = (box.left + box.right) / 2, (box.top + box.bottom) / 2
        return min(found, key=lambda b: abs((b.left + b.right) / 2 - cx) + abs((b.top + b.bottom) / 2 - cy))

    def track(self, frames: Iterable[np.ndarray], fps: float, progress=None, name: str = "the video") -> Track:
        """Track every frame and return the (optionally smoothed) :class:`Track`."""
        landmarks, poses, valid = [], [], []
        image_size = None
        for frame in frames:
            image_size = (frame.shape[1], frame.shape[0])
            points, pose = self.update(frame)
            valid.append(points is not None)
            landmarks.append(points if points is not None else np.full((68, 2), np.nan, np.float32))
            poses.append(pose if pose is not None else np.full(6, np.nan))
            if progress is not None:
                progress(1)
        if not any(valid):
            raise NoFaceError(f"No face was found in any frame of {name}; use a video where a face is clearly visible.")
        track = finish_track(np.stack(landmarks), np.stack(poses), np.array(valid), fps, image_size, self.config)
        track.faces = self.most_faces
        return track


def finish_track(
    landmarks: np.ndarray, poses: np.ndarray, valid: np.ndarray, fps: float, image_size, config: TrackerConfig
) -> Track:
    """Fill invalid frames by interpolation and smooth the valid runs."""
    landmarks = fill_gaps(landmarks.astype(np.float32), valid)
    poses = fill_gaps(poses.astype(np.float64), valid) if config.estimate_pose else np.zeros((len(valid), 6))
    if config.smooth:
        scale = float(np.median(interocular_distance(landmarks[valid])))
        landmarks = smooth_track(landmarks, valid, fps, scale, config.landmark_filter)
        if config.estimate_pose:
            # rotation (rad) and translation (mm / 100) are filtered as two 3-D "points"
            units = np.array([1, 1, 1, 100, 100, 100], dtype=np.float64)
            scaled = (poses / units).reshape(-1, 2, 3)
            poses = (smooth_track(scaled, valid, fps, 1.0, config.pose_filter).reshape(-1, 6)) * units
    return Track(landmarks.astype(np.float32), poses.astype(np.float32), valid, fps, image_size)


def track_video(path: str | Path, config: TrackerConfig | None = None, progress=None) -> Track:
    """Track the face through a video file."""

    reader = VideoReader(path)
    return FaceTracker(config).track(reader, reader.fps, progress, name=reader.path.name)
