"""The control points that move a portrait: face landmarks, head outline, neck, torso and anchors.

The 68 landmarks say where the face goes; the rest of the picture needs points too:

- ``head``: an arc over the forehead and hair, ear to ear. It moves rigidly with the head: each
  frame, the 2D affine that best maps the rest face onto the posed face moves these points.
- ``neck`` and ``torso``: points below the chin that follow a share of that motion (the neck more,
  the shoulders less), as a torso does when the head turns.
- ``anchors``: a ring well outside the head and the canvas border. They never move, so the
  background stays where it is.

The mesh's triangles come from a Delaunay triangulation of the points with the mouth and eyes
opened a little: a closed mouth in the portrait would otherwise give the triangulation coincident
lips, and the inner-mouth triangles, which open when the mouth does, would be missing.
"""

from dataclasses import dataclass

import numpy as np

from stylehead.face.landmarks import INNER_LIP_PAIRS, LEFT_EYELIDS, RIGHT_EYELIDS
from stylehead.render.integrity import fold_floors, reference_orientation
from stylehead.render.mesh_warp import Mesh, border_anchors

NECK_FOLLOW = 0.55  # share of the head's motion the neck follows
TORSO_FOLLOW = 0.2  # share the shoulders follow
HEAD_POINTS = 11
RING_POINTS = 16
RING_SCALE = 1.6  # the fixed ring's radii, in head-ellipse radii: the band beyond the head where the warp fades out
# The head outline must enclose the hair, which moves with the head: its half-width in face widths
# (ear to ear) and its top above the brows in face heights (brows to chin). Generous, because
# background inside the outline moves a little, but hair outside it would be smeared.
HEAD_WIDTH = 0.85
HEAD_ABOVE_BROWS = 0.9
EDGE_FADE = 0.5  # face widths: head, neck and torso points this close to the frame's edge follow the head less


@dataclass(frozen=True)
class HeadRig:
    """Control points of one portrait on the output canvas, and which of them move how."""

    points: np.ndarray  # (N, 2) float64 canvas pixels: 68 landmarks, head, neck, torso, anchors
    head: slice
    neck: slice
    torso: slice
    mesh: Mesh
    follow: np.ndarray  # (N,) share of the head's motion each point takes (landmarks and anchors: unused)
    orientation: np.ndarray  # (M,) ±1: each triangle's orientation in the layout (see render.integrity)
    floors: np.ndarray  # (M,) px²: the lowest oriented area each triangle may take (render.integrity.fold_floors)

    @property
    def moving(self) -> np.ndarray:
        """(N,) bool: the points that can move (all but the anchors)."""
        out = np.zeros(len(self.points), bool)
        out[: self.torso.stop] = True
        return out

    def place(self, landmarks: np.ndarray, head_affine: np.ndarray) -> np.ndarray:
        """(N, 2) target positions for (68, 2) target landmarks and the head's (2, 3) rigid motion."""
        return self.place_all(np.asarray(landmarks)[None], np.asarray(head_affine)[None])[0]

    def place_all(self, landmarks: np.ndarray, head_affines: np.ndarray) -> np.ndarray:
        """(T, N, 2) target positions for (T, 68, 2) landmarks and (T, 2, 3) head motions."""
        out = np.repeat(self.points[None], len(landmarks), axis=0)
        out[:, :68] = landmarks
        body = slice(self.head.start, self.torso.stop)
        points = self.points[body]
        moved = points @ np.asarray(head_affines, np.float64)[:, :, :2].transpose(0, 2, 1)
        moved += np.asarray(head_affines, np.float64)[:, None, :, 2]
        out[:, body] = points + self.follow[body, None] * (moved - points)
        return out

    def region(self, target: np.ndarray, margin: int = 2) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1): the box outside which no pixel changes for these target positions."""
        triangles = self.mesh.triangles
        touched = self.moving[triangles].any(1)
        corners = np.concatenate([self.points[triangles[touched]].reshape(-1, 2),
                                  target[triangles[touched]].reshape(-1, 2)])  # fmt: skip
        x0, y0 = np.floor(corners.min(0)).astype(int) - margin
        x1, y1 = np.ceil(corners.max(0)).astype(int) + margin
        return int(x0), int(y0), int(x1), int(y1)


def face_geometry(landmarks: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(centre between the ears, face width, brow-to-chin height) of (68, 2) landmarks."""
    centre = (landmarks[0] + landmarks[16]) / 2
    width = float(np.linalg.norm(landmarks[16] - landmarks[0]))
    brows = landmarks[17:27].mean(0)
    height = float(np.linalg.norm(landmarks[8] - brows))
    return centre, max(width, 1.0), max(height, 1.0)


def build_rig(landmarks: np.ndarray, width: int, height: int) -> HeadRig:
    """The rig of a portrait whose (68, 2) landmarks are on a ``width`` × ``height`` canvas."""
    landmarks = np.asarray(landmarks, np.float64)[:, :2]
    centre, face_w, face_h = face_geometry(landmarks)
    # Roll: the head's own axes, so the outline follows a tilted head.
    across = landmarks[16] - landmarks[0]
    across /= max(np.linalg.norm(across), 1e-9)
    down = np.array([-across[1], across[0]])
    radius_x, radius_up = (
        HEAD_WIDTH * face_w,
        HEAD_ABOVE_BROWS * face_h + np.dot(centre - landmarks[17:27].mean(0), down),
    )
    radius_up = max(radius_up, 0.6 * face_h)
    angles = np.linspace(np.pi * 0.95, np.pi * 0.05, HEAD_POINTS)  # from the left ear over the top
    head = centre + np.cos(angles)[:, None] * radius_x * across - np.sin(angles)[:, None] * radius_up * down
    chin = landmarks[8]
    chin_depth = float(np.dot(chin - centre, down))
    neck = np.stack([
        chin + 0.35 * face_h * down,
        centre + (chin_depth + 0.2 * face_h) * down - 0.32 * face_w * across,
        centre + (chin_depth + 0.2 * face_h) * down + 0.32 * face_w * across,
    ])  # fmt: skip
    torso = np.stack([centre + (chin_depth + 0.85 * face_h) * down + k * face_w * across for k in (-1.0, 0.0, 1.0)])
    ring_angles = np.linspace(0, 2 * np.pi, RING_POINTS, endpoint=False)
    ring_centre = centre + 0.3 * face_h * down
    ring_x = np.cos(ring_angles)[:, None] * radius_x * across
    ring_y = np.sin(ring_angles)[:, None] * (radius_up + 0.3 * face_h) * down
    ring = ring_centre + RING_SCALE * (ring_x + ring_y)
    inside = (ring[:, 0] > 1) & (ring[:, 0] < width - 2) & (ring[:, 1] > 1) & (ring[:, 1] < height - 2)
    border = border_anchors(width, height, per_side=4)

    # moving points off the frame are left out, and those near its edge follow the head less the
    # nearer they are, so that no head motion the pose limit allows can push one across the fixed
    # border anchors (a fold, and pixels from outside the picture)
    def on_frame(part: np.ndarray) -> np.ndarray:
        return part[(part[:, 0] > 1) & (part[:, 0] < width - 2) & (part[:, 1] > 1) & (part[:, 1] < height - 2)]

    head, neck, torso = on_frame(head), on_frame(neck), on_frame(torso)
    points = np.concatenate([landmarks, head, neck, torso, ring[inside], border])
    edge = np.minimum.reduce([points[:, 0], width - 1 - points[:, 0], points[:, 1], height - 1 - points[:, 1]])
    fade = np.clip(edge / (EDGE_FADE * face_w), 0.0, 1.0)
    fade = fade * fade * (3 - 2 * fade)  # smoothstep
    start = 68
    head_part = slice(start, start + len(head))
    neck_part = slice(head_part.stop, head_part.stop + len(neck))
    torso_part = slice(neck_part.stop, neck_part.stop + len(torso))
    follow = np.zeros(len(points))
    for part, share in ((head_part, 1.0), (neck_part, NECK_FOLLOW), (torso_part, TORSO_FOLLOW)):
        follow[part] = share * fade[part]
    triangles, layout = _triangulate(points, landmarks)
    mesh = Mesh(points=points, triangles=triangles)
    orientation = reference_orientation(layout, triangles)
    floors = fold_floors(points, triangles, orientation)
    return HeadRig(points, head_part, neck_part, torso_part, mesh, follow, orientation, floors)


def _triangulate(points: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Delaunay triangles of ``points`` with the inner lips and eyelids pulled apart first, and that layout."""
    from scipy.spatial import Delaunay

    layout = points.copy()
    _, face_w, _ = face_geometry(landmarks)
    across = landmarks[16] - landmarks[0]
    across = across / max(float(np.linalg.norm(across)), 1e-9)
    down = np.array([-across[1], across[0]])  # towards the chin
    wanted = 0.03 * face_w  # small enough not to cross the outer lip or the brow
    for upper, lower in INNER_LIP_PAIRS + RIGHT_EYELIDS + LEFT_EYELIDS:
        # apart along the face's own down direction: a tracked lower lip or lid slightly above its upper
        # one (it happens) must not give the mesh a mouth or eye that is inside out
        gap = float(np.dot(layout[lower] - layout[upper], down))
        if gap < wanted:
            layout[upper] -= down * (wanted - gap) / 2
            layout[lower] += down * (wanted - gap) / 2
    return Delaunay(layout).simplices.astype(np.int32), layout
