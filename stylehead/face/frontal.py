"""Moving landmarks between the image and the face's own frame (frontalised, millimetres).

Motion in stylehead lives in the face frame: the 3D template's axes and units, with head pose
factored out (paper §6.2 registers landmarks to "a front-facing standard facial template"). To lift
a 2D landmark, the template posed by the frame's head pose gives the point's depth; the landmark's
camera ray at that depth, moved back through the pose, is the point in the face frame. Its x and y
follow the landmark, its z the template. :func:`to_image` is the inverse: pose and project.
"""

import numpy as np

from stylehead.face.pose import camera_matrix, load_template, rotation_matrix


def to_face_frame(landmarks: np.ndarray, pose: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """(T, 68, 2) image pixels and (T, 6) poses → (T, 68, 3) float32 face-frame millimetres."""
    camera = camera_matrix(*image_size)
    rotation = rotation_matrix(pose[:, :3])  # (T, 3, 3)
    translation = pose[:, None, 3:].astype(np.float64)  # (T, 1, 3)
    template = load_template().points
    depth = (template @ rotation.transpose(0, 2, 1) + translation)[..., 2]  # (T, 68) camera z of each point
    rays = np.concatenate([landmarks[..., :2], np.ones((*landmarks.shape[:-1], 1))], axis=-1)
    rays = rays @ np.linalg.inv(camera).T  # (T, 68, 3), z = 1
    in_camera = rays * depth[..., None]
    return ((in_camera - translation) @ rotation).astype(np.float32)  # Rᵀ(Y − t), row-vector form


def to_image(points: np.ndarray, pose: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """(T, P, 3) face-frame points and (T, 6) poses → (T, P, 2) float32 image pixels."""
    camera = camera_matrix(*image_size)
    rotation = rotation_matrix(pose[:, :3])
    in_camera = points @ rotation.transpose(0, 2, 1) + pose[:, None, 3:]
    projected = in_camera @ camera.T
    return (projected[..., :2] / np.maximum(projected[..., 2:], 1e-6)).astype(np.float32)
