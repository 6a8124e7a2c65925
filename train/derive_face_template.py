"""Derive stylehead's 3D 68-point face template from tracked talking-face clips.

Method (Tomasi & Kanade 1992, rigid factorisation under weak perspective):
1. Track 68 landmarks on every clip (no smoothing) and keep up to ``--frames-per-clip`` valid
   frames per clip, each centred on its centroid and divided by its interocular distance, so that
   all speakers share one scale.
2. Stack them into W (2F × 68). Its best rank-3 approximation W ≈ M·S gives per-frame camera rows
   M and one shape S, up to an affine ambiguity Q.
3. Metric upgrade: find the symmetric L = Q·Qᵀ that makes each frame's two camera rows orthogonal
   and of equal length (linear least squares), then S ← Q⁻¹·S.
4. Put S into the camera axes of the average frame (talking heads mostly face the camera), turn
   it so that it is left-right symmetric (yaw and roll that minimise the mirror residual), average
   it with its mirror image, orient depth so the nose tip is nearest the camera, centre it and
   scale it so that the outer eye corners are 90 mm apart (an adult average).

Usage:
    python train/derive_face_template.py --clips ../shared/data/train \
        --output stylehead/face/face_template_68.json
"""

import argparse
import json
from datetime import date
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.spatial.transform import Rotation

from stylehead.face.landmarks import LEFT_EYE_OUTER, MIRROR, NOSE_TIP, RIGHT_EYE_OUTER, interocular_distance
from stylehead.face.tracking import FaceTracker, TrackerConfig
from stylehead.media import VideoReader

EYE_CORNER_DISTANCE_MM = 90.0
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg"}


def tracked_frames(path: Path, frames_per_clip: int) -> np.ndarray:
    """Normalised valid landmark frames of one clip: (F, 68, 2)."""
    reader = VideoReader(path)
    track = FaceTracker(TrackerConfig(smooth=False, estimate_pose=False)).track(reader, reader.fps)
    points = track.landmarks[track.valid].astype(np.float64)
    if len(points) > frames_per_clip:
        points = points[np.linspace(0, len(points) - 1, frames_per_clip).round().astype(int)]
    points -= points.mean(axis=1, keepdims=True)
    return points / interocular_distance(points)[:, None, None]


def factorise(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rigid factorisation of (F, 68, 2) centred frames → camera rows (F, 2, 3), shape (3, 68)."""
    count = len(frames)
    w = frames.transpose(0, 2, 1).reshape(2 * count, 68)
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    m = u[:, :3] * np.sqrt(s[:3])
    shape = np.sqrt(s[:3])[:, None] * vt[:3]
    a, b = m[0::2], m[1::2]

    def row(x, y):  # coefficients of x·L·yᵀ in the 6 unknowns of symmetric L
        return np.stack([
            x[:, 0] * y[:, 0], x[:, 0] * y[:, 1] + x[:, 1] * y[:, 0], x[:, 0] * y[:, 2] + x[:, 2] * y[:, 0],
            x[:, 1] * y[:, 1], x[:, 1] * y[:, 2] + x[:, 2] * y[:, 1], x[:, 2] * y[:, 2],
        ], axis=1)  # fmt: skip

    system = np.concatenate([row(a, a) - row(b, b), row(a, b), row(a, a).mean(0, keepdims=True)])
    target = np.concatenate([np.zeros(2 * count), [1.0]])
    l6 = np.linalg.lstsq(system, target, rcond=None)[0]
    big_l = np.array([[l6[0], l6[1], l6[2]], [l6[1], l6[3], l6[4]], [l6[2], l6[4], l6[5]]])
    values, vectors = np.linalg.eigh(big_l)
    q = vectors @ np.diag(np.sqrt(np.clip(values, 1e-9, None)))
    cameras = (m @ q).reshape(count, 2, 3)
    return cameras, np.linalg.inv(q) @ shape


def average_rotation(cameras: np.ndarray) -> np.ndarray:
    """The mean of the frames' camera rotations, as a (3, 3) rotation matrix."""
    rotations = []
    for rows in cameras:
        x, y = rows[0] / np.linalg.norm(rows[0]), rows[1] / np.linalg.norm(rows[1])
        z = np.cross(x, y)
        rotations.append(np.stack([x, y, z]))
    u, _, vt = np.linalg.svd(np.mean(rotations, axis=0))
    return u @ vt


def mirrored(points: np.ndarray) -> np.ndarray:
    """(68, 3) face flipped left-right, with each point taking its mirror partner's index."""
    return points[MIRROR] * np.array([-1.0, 1.0, 1.0])


def symmetrise(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Turn (68, 3) points (yaw, roll) to be most left-right symmetric; return them and the residual."""

    def turned(angles):
        return points @ Rotation.from_euler("yz", angles).as_matrix().T

    def asymmetry(angles):
        p = turned(angles)
        return float(((p - mirrored(p)) ** 2).sum())

    best = minimize(asymmetry, np.zeros(2), method="Nelder-Mead")
    p = turned(best.x)
    residual = float(np.sqrt(((p - mirrored(p)) ** 2).sum(1).mean()) / 2)
    return (p + mirrored(p)) / 2, residual


def derive(clips: list[Path], frames_per_clip: int) -> dict:
    used, stacks = [], []
    for clip in clips:
        frames = tracked_frames(clip, frames_per_clip)
        if len(frames) >= 10:
            used.append({"clip": clip.name, "frames": len(frames)})
            stacks.append(frames)
        print(f"{clip.name}: {len(frames)} frames")
    frames = np.concatenate(stacks)
    cameras, shape = factorise(frames)
    reprojection = np.einsum("fij,jp->fpi", cameras, shape)
    rank3_error = float(np.linalg.norm(reprojection - frames, axis=-1).mean())
    points = shape.T @ average_rotation(cameras).T
    points -= points.mean(0)
    points, asymmetry = symmetrise(points)
    if points[NOSE_TIP, 2] > points[[RIGHT_EYE_OUTER, LEFT_EYE_OUTER], 2].mean():
        points[:, 2] *= -1  # the reflection ambiguity of factorisation: the nose must point at the camera
    points -= points.mean(0)
    points *= EYE_CORNER_DISTANCE_MM / np.linalg.norm(points[LEFT_EYE_OUTER] - points[RIGHT_EYE_OUTER])
    return {
        "description": "Mean 68-point face (iBUG layout), millimetres, OpenCV camera axes (x right, y down, "
        "z away from the camera), centroid at the origin; outer eye corners 90 mm apart.",
        "method": "rigid Tomasi-Kanade factorisation of interocular-normalised dlib landmarks, metric upgrade, "
        "mean-view alignment, mirror symmetrisation (train/derive_face_template.py)",
        "date": date.today().isoformat(),
        "frames": int(len(frames)),
        "clips": used,
        "rank3_error_interocular": round(rank3_error, 5),
        "mirror_residual_interocular": round(asymmetry, 5),
        "nose_depth_mm": round(float(points[[RIGHT_EYE_OUTER, LEFT_EYE_OUTER], 2].mean() - points[NOSE_TIP, 2]), 2),
        "points": np.round(points, 3).tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, required=True, help="folder of talking-face videos")
    parser.add_argument("--output", type=Path, required=True, help="template JSON to write")
    parser.add_argument("--frames-per-clip", type=int, default=300)
    args = parser.parse_args()
    clips = sorted(p for p in args.clips.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    template = derive(clips, args.frames_per_clip)
    args.output.write_text(json.dumps(template, indent=1) + "\n")
    print(f"wrote {args.output}: {template['frames']} frames from {len(template['clips'])} clips, "
          f"rank-3 error {template['rank3_error_interocular']}, nose depth {template['nose_depth_mm']} mm")


if __name__ == "__main__":
    main()
