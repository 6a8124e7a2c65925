"""Faces: detection, 68 landmarks, head pose, tracking, crop/align and the facial map."""

from stylehead.face.align import FaceCrop, crop_face, paste_back, transform_points
from stylehead.face.detection import Face, FaceBox, detect_faces, find_face
from stylehead.face.facial_map import draw_facial_map
from stylehead.face.landmarks import eye_opening, interocular_distance, mouth_opening
from stylehead.face.pose import camera_matrix, estimate_pose, euler_angles, load_template
from stylehead.face.tracking import FaceTracker, Track, TrackerConfig, track_video

__all__ = [
    "Face",
    "FaceBox",
    "FaceCrop",
    "FaceTracker",
    "Track",
    "TrackerConfig",
    "camera_matrix",
    "crop_face",
    "detect_faces",
    "draw_facial_map",
    "estimate_pose",
    "euler_angles",
    "eye_opening",
    "find_face",
    "interocular_distance",
    "load_template",
    "mouth_opening",
    "paste_back",
    "track_video",
    "transform_points",
]
