"""6-DoF head pose from 68 landmarks, against stylehead's own 3D face template.

The template (``face_template_68.json``) is a mean 68-point face in millimetres, derived by
``train/derive_face_template.py`` with rigid (Tomasi-Kanade) factorisation of landmarks tracked on
the training clips; that file records how it was made. Axes follow OpenCV's camera: x to the
image's right, y down, z away from the camera; the origin is the centroid of the 68 points; a face
looking straight into the camera has zero rotation.

A pose is a (6,) vector: a rotation vector (radians, Rodrigues) and a translation (mm) of the
template in the camera frame, under a pinhole camera whose focal length is
:data:`FOCAL_PER_SIDE` × the image's longer side (a ~45° field of view; the true lens is unknown
for a one-shot portrait).
"""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylehead.face.landmarks import RIGID

TEMPLATE_PATH = Path(__file__).with_name("face_template_68.json")
FOCAL_PER_SIDE = 1.2


@dataclass(frozen=True)
class FaceTemplate:
    """The mean 3D face used for pose estimation."""

    points: np.ndarray  # (68, 3) float64, millimetres, camera axes, centroid at the origin
    source: dict  # how it was derived (clips, frames, residuals)


@functools.cache
def load_template(path: Path = TEMPLATE_PATH) -> FaceTemplate:
    data = json.loads(Path(path).read_text())
    points = np.asarray(data["points"], dtype=np.float64)
    if points.shape != (68, 3):
        raise ValueError(f"{path} holds a {points.shape} template; expected (68, 3)")
    return FaceTemplate(points=points, source={k: v for k, v in data.items() if k != "points"})


def camera_matrix(width: int, height: int) -> np.ndarray:
    """Pinhole intrinsics for an image of this size: (3, 3) float64."""
    focal = FOCAL_PER_SIDE * max(width, height)
    return np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=np.float64)


def estimate_pose(
    landmarks: np.ndarray, image_size: tuple[int, int], guess: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Head pose of one face: ((6,) float64 [rotation vector, translation mm], reprojection error).

    The reprojection error is the RMS distance (in interocular distances) between the rigid
    landmarks and the posed template's projection; large values mean the landmarks are not a face.
    ``guess`` (the previous frame's pose) makes tracking faster and steadier.
    """
    import cv2

    template = load_template().points[list(RIGID)]
    image_points = np.ascontiguousarray(landmarks[list(RIGID), :2], dtype=np.float64)
    camera = camera_matrix(*image_size)
    if guess is None:
        _, rvec, tvec = cv2.solvePnP(template, image_points, camera, None, flags=cv2.SOLVEPNP_SQPNP)
        rvec, tvec = rvec.ravel(), tvec.ravel()
    else:
        rvec, tvec = guess[:3].copy(), guess[3:].copy()
    ok, rvec, tvec = cv2.solvePnP(
        template, image_points, camera, None, rvec.reshape(3, 1), tvec.reshape(3, 1),
        useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE,
    )  # fmt: skip
    if not ok:
        return np.full(6, np.nan), float("inf")
    projected, _ = cv2.projectPoints(template, rvec, tvec, camera, None)
    scale = np.linalg.norm(image_points[3] - image_points[0])  # outer eye corners
    error = float(np.sqrt(((projected[:, 0] - image_points) ** 2).sum(1).mean()) / max(scale, 1e-6))
    return np.concatenate([rvec.ravel(), tvec.ravel()]), error


def rotation_matrix(rotation_vector: np.ndarray) -> np.ndarray:
    """(..., 3) rotation vectors → (..., 3, 3) rotation matrices (Rodrigues)."""
    rv = np.asarray(rotation_vector, dtype=np.float64)
    angle = np.linalg.norm(rv, axis=-1, keepdims=True)
    axis = rv / np.maximum(angle, 1e-12)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    zero = np.zeros_like(x)
    k = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], axis=-1).reshape(*rv.shape[:-1], 3, 3)
    eye = np.broadcast_to(np.eye(3), k.shape)
    a = angle[..., None]
    return eye + np.sin(a) * k + (1 - np.cos(a)) * (k @ k)


def euler_angles(rotation_vector: np.ndarray) -> np.ndarray:
    """(..., 3) rotation vectors → (..., 3) [pitch, yaw, roll] in degrees, with R = Rz·Ry·Rx.

    Pitch is positive when the face tilts down, yaw when the nose turns towards the image's left,
    roll when the face turns clockwise on screen.
    """
    r = rotation_matrix(rotation_vector)
    pitch = np.arctan2(r[..., 2, 1], r[..., 2, 2])
    yaw = np.arcsin(np.clip(-r[..., 2, 0], -1.0, 1.0))
    roll = np.arctan2(r[..., 1, 0], r[..., 0, 0])
    return np.degrees(np.stack([pitch, yaw, roll], axis=-1))


def relative_pose(pose: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(T, 6) rotation vector (rad) + translation (mm) → (T, 6) [degrees, mm] about the clip's median pose.

    Head rotations while talking are small, so differences of rotation vectors are rotations to
    first order.
    """
    relative = pose.astype(np.float64) * np.array([180.0 / np.pi] * 3 + [1.0] * 3)
    reference = np.median(relative[valid] if valid.any() else relative, axis=0)
    return (relative - reference).astype(np.float32)


def angular_speed(pose: np.ndarray, fps: float) -> float:
    """Mean angular speed (degrees per second) of a (T, 6) pose sequence in degrees and mm."""
    if len(pose) < 2:
        return 0.0
    return float(np.linalg.norm(np.diff(pose[:, :3], axis=0), axis=1).mean() * fps)
