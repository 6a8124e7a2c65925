"""Derive stylehead's 3D 68-point face template from tracked talking-face clips.

Method (rigid factorisation under weak perspective, Tomasi & Kanade 1992), clip by clip, because
the shape is rigid only within one person:
1. Track 68 landmarks on the clip (no smoothing); keep up to ``--frames-per-clip`` valid frames,
   each divided by its interocular distance and centred on its "rigid" points (eye corners, nose,
   brows), which move with the skull rather than with speech.
2. Factorise the rigid points' (2F × P) matrix to rank 3, W ≈ M·S, and upgrade M to metric camera
   rows (each frame's two rows orthogonal and of equal length: linear least squares on L = Q·Qᵀ).
3. Triangulate all 68 points against those cameras (least squares), so that the non-rigid jaw
   line and mouth cannot bend the cameras.
4. Keep the clip only if its head turns enough to reveal depth (spread of view directions
   ≥ ``--min-spread`` degrees) and the result is nearly mirror-symmetric.
5. Per clip: express the shape in its mean view, turn it (yaw, roll) to be left-right symmetric,
   average it with its mirror image, make the nose point at the camera, scale it to 90 mm between
   the outer eye corners (an adult average).
Then align the clips' shapes (3D Procrustes, rotation only), take the per-coordinate median, and
define "frontal" as the pitch at which the eye corners and mouth corners lie at the same depth.

Only training speakers shape it: clips of the held-out speakers of ``--split`` are never read.

Usage:
    python train/derive_face_template.py --clips ../shared/data/train --split train/configs/split.yaml \
        --output stylehead/face/face_template_68.json
"""

import argparse
import json
from datetime import date
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.spatial.transform import Rotation

from stylehead.face.landmarks import (
    LEFT_BROW,
    LEFT_EYE_OUTER,
    MIRROR,
    MOUTH_LEFT_CORNER,
    MOUTH_RIGHT_CORNER,
    NOSE_TIP,
    RIGHT_BROW,
    RIGHT_EYE_OUTER,
    RIGID,
    interocular_distance,
)
from stylehead.face.tracking import FaceTracker, TrackerConfig
from stylehead.media import VIDEO_SUFFIXES, VideoReader
from stylehead.motion.speaker_split import load_split

EYE_CORNER_DISTANCE_MM = 90.0


RIGID_AND_BROWS = list(RIGID) + list(RIGHT_BROW) + list(LEFT_BROW)


def tracked_frames(path: Path, frames_per_clip: int) -> np.ndarray:
    """Normalised valid landmark frames of one clip: (F, 68, 2)."""
    reader = VideoReader(path)
    track = FaceTracker(TrackerConfig(smooth=False, estimate_pose=False)).track(reader, reader.fps)
    points = track.landmarks[track.valid].astype(np.float64)
    if len(points) > frames_per_clip:
        points = points[np.linspace(0, len(points) - 1, frames_per_clip).round().astype(int)]
    points /= interocular_distance(points)[:, None, None]
    return points - points[:, RIGID_AND_BROWS].mean(axis=1, keepdims=True)


def factorise(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rigid factorisation of (F, 68, 2) centred frames → camera rows (F, 2, 3), shape (3, 68)."""
    count = len(frames)
    w = frames.transpose(0, 2, 1).reshape(2 * count, frames.shape[1])
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


def view_spread(cameras: np.ndarray) -> float:
    """Standard deviation (degrees) of the frames' viewing directions around their mean."""
    directions = np.cross(cameras[:, 0], cameras[:, 1])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    mean = directions.mean(0) / np.linalg.norm(directions.mean(0))
    return float(np.degrees(np.arccos(np.clip(directions @ mean, -1.0, 1.0))).std())


def clip_shape(frames: np.ndarray) -> tuple[np.ndarray, float, float]:
    """One clip's 3D face (68, 3) in mm, its view spread (degrees) and mirror residual (interocular)."""
    cameras, _ = factorise(frames[:, RIGID_AND_BROWS])
    rows = cameras.reshape(-1, 3)
    observed = frames.transpose(0, 2, 1).reshape(-1, 68)
    shape = np.linalg.lstsq(rows, observed, rcond=None)[0]  # (3, 68): every point triangulated
    points = shape.T @ average_rotation(cameras).T
    points, residual = symmetrise(points - points.mean(0))
    if points[NOSE_TIP, 2] > points[[RIGHT_EYE_OUTER, LEFT_EYE_OUTER], 2].mean():
        points[:, 2] *= -1  # the reflection ambiguity of factorisation: the nose must point at the camera
    points *= EYE_CORNER_DISTANCE_MM / np.linalg.norm(points[LEFT_EYE_OUTER] - points[RIGHT_EYE_OUTER])
    return points - points.mean(0), view_spread(cameras), residual


def procrustes_rotation(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The rotation R minimising ||points·Rᵀ − reference|| for centred (N, 3) point sets."""
    u, _, vt = np.linalg.svd(reference.T @ points)
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    return u @ d @ vt


def make_frontal(points: np.ndarray) -> np.ndarray:
    """Pitch the face so the outer eye corners and the mouth corners lie at the same depth."""
    eyes = points[[RIGHT_EYE_OUTER, LEFT_EYE_OUTER]].mean(0)
    mouth = points[[MOUTH_RIGHT_CORNER, MOUTH_LEFT_CORNER]].mean(0)
    down = mouth - eyes
    angle = np.arctan2(down[2], down[1])  # tilt of the eye-to-mouth line out of the image plane
    return points @ Rotation.from_euler("x", -angle).as_matrix().T


def derive(clips: list[Path], frames_per_clip: int, min_spread: float, max_residual: float) -> dict:
    used, shapes = [], []
    for clip in clips:
        frames = tracked_frames(clip, frames_per_clip)
        if len(frames) < 30:
            print(f"{clip.name}: skipped, {len(frames)} valid frames")
            continue
        points, spread, residual = clip_shape(frames)
        verdict = "used" if spread >= min_spread and residual <= max_residual else "skipped"
        print(f"{clip.name}: {len(frames)} frames, spread {spread:.1f} deg, mirror residual {residual:.3f}: {verdict}")
        if verdict == "used":
            used.append({"clip": clip.name, "frames": len(frames), "view_spread_deg": round(spread, 2)})
            shapes.append(points)
    if not shapes:
        raise SystemExit("no clip turned its head enough to reveal depth")
    reference = np.median(shapes, axis=0)
    for _ in range(3):  # align every shape to the running median, then re-take the median
        aligned = [shape @ procrustes_rotation(shape, reference).T for shape in shapes]
        reference = np.median(aligned, axis=0)
    spread_mm = float(np.median([np.linalg.norm(a - reference, axis=1).mean() for a in aligned]))
    points = make_frontal((reference + mirrored(reference)) / 2)
    points -= points.mean(0)
    points *= EYE_CORNER_DISTANCE_MM / np.linalg.norm(points[LEFT_EYE_OUTER] - points[RIGHT_EYE_OUTER])
    return {
        "description": "Mean 68-point face (iBUG layout), millimetres, OpenCV camera axes (x right, y down, "
        "z away from the camera), centroid at the origin; outer eye corners 90 mm apart; frontal = eye and "
        "mouth corners at equal depth.",
        "method": "per-clip rigid factorisation of dlib landmarks (cameras from eye corners, nose and brows; all "
        "points triangulated), mirror symmetrisation, Procrustes alignment, per-coordinate median over clips "
        "(train/derive_face_template.py)",
        "date": date.today().isoformat(),
        "clips": used,
        "frames": int(sum(c["frames"] for c in used)),
        "median_clip_deviation_mm": round(spread_mm, 2),
        "nose_depth_mm": round(float(points[[RIGHT_EYE_OUTER, LEFT_EYE_OUTER], 2].mean() - points[NOSE_TIP, 2]), 2),
        "points": np.round(points, 3).tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, required=True, help="folder of talking-face videos")
    parser.add_argument("--output", type=Path, required=True, help="template JSON to write")
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"),
                        help="its held-out speakers are left out")
    parser.add_argument("--frames-per-clip", type=int, default=300)
    parser.add_argument("--min-spread", type=float, default=3.0, help="degrees of head turning a clip needs")
    parser.add_argument("--max-residual", type=float, default=0.2, help="largest mirror residual (interocular)")
    args = parser.parse_args()
    split = load_split(args.split)
    clips = sorted(p for p in args.clips.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    clips = [p for p in clips if not split.is_held_out(p.stem)]
    template = derive(clips, args.frames_per_clip, args.min_spread, args.max_residual)
    template["held_out"] = f"the speakers of {args.split.as_posix()}: none of their clips was read"
    args.output.write_text(json.dumps(template, indent=1) + "\n")
    print(
        f"wrote {args.output}: {template['frames']} frames from {len(template['clips'])} clips, "
        f"clip deviation {template['median_clip_deviation_mm']} mm, nose depth {template['nose_depth_mm']} mm"
    )


if __name__ == "__main__":
    main()
