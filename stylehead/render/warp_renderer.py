"""The one-shot warp renderer: a portrait moved by motion, frame by frame, with no neural network.

Per portrait (once): find the face, estimate its pose, lift its landmarks into the face frame (its
rest shape), choose the output framing, build the rig (landmarks, head outline, neck, torso, fixed
anchors) and its triangle mesh, and take the mouth's colours.

Per frame: move the rest shape by the motion's mouth/eye displacements and blinks, pose it by the
portrait's pose plus the motion's head pose (bounded: :mod:`stylehead.render.integrity`), project
it, and scale back any motion that would fold a triangle of the mesh; the head outline follows the head's rigid
motion, the neck and torso a share of it; one piecewise-affine warp moves the portrait's pixels,
and the mouth interior is painted where the mouth opens wider than in the photo.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from stylehead.face.align import transform_points
from stylehead.face.detection import find_face
from stylehead.face.eyelids import close_eyes
from stylehead.face.frontal import to_face_frame, to_image
from stylehead.face.landmarks import lip_gap
from stylehead.face.pose import estimate_pose
from stylehead.face.rest_shape import RestEstimate, apply_displacements, portrait_rest
from stylehead.motion.data import Motion
from stylehead.render.framing import Framing, plan_framing
from stylehead.render.head_rig import HeadRig, build_rig
from stylehead.render.integrity import limit_folds, limit_pose, uncross
from stylehead.render.mesh_warp import pin_border, warp_image, warp_maps
from stylehead.render.mouth_interior import MouthColors, mouth_colors, paint_mouth


@dataclass(frozen=True)
class Portrait:
    """A face photo ready to animate."""

    image: np.ndarray  # (H, W, 3) uint8 RGB, the original
    landmarks: np.ndarray  # (68, 2) float32 image pixels
    pose: np.ndarray  # (6,) float64 rotation vector (rad) + translation (mm)
    rest: np.ndarray  # (68, 3) float32 face-frame mm: the portrait's face with its mouth at rest
    own: np.ndarray  # (68, 3) float32 face-frame mm: the portrait's face as photographed
    num_faces: int = 1

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    @classmethod
    def from_image(cls, image: np.ndarray, name: str = "the portrait", rest_estimate: RestEstimate | None = None
                   ) -> "Portrait":  # fmt: skip
        """Detect the (largest) face; :class:`~stylehead.errors.NoFaceError` when there is none.

        ``rest_estimate`` closes the portrait's mouth (a bundle's; None: the default bundle's)."""
        face = find_face(image, name)
        return cls.from_landmarks(image, face.landmarks, face.num_faces, rest_estimate)

    @classmethod
    def from_landmarks(cls, image: np.ndarray, landmarks: np.ndarray, num_faces: int = 1,
                       rest_estimate: RestEstimate | None = None) -> "Portrait":  # fmt: skip
        """A portrait whose (68, 2) landmarks are already known (a tracked video frame, a crop)."""
        size = (image.shape[1], image.shape[0])
        pose, _ = estimate_pose(landmarks, size)
        own = to_face_frame(landmarks[None], pose[None], size)[0]
        return cls(image, landmarks.astype(np.float32), pose, portrait_rest(own, rest_estimate), own, num_faces)

    def with_rest(self, rest: np.ndarray) -> "Portrait":
        """The same photo with another (68, 3) rest shape: the face its motion is measured from (a style's
        expression retargeted onto it, say)."""
        return dataclasses.replace(self, rest=np.asarray(rest, np.float32))

    def own_displacement(self, points: tuple[int, ...]) -> np.ndarray:
        """(P, 3): the displacement from :attr:`rest` that gives back the photo's own face."""
        return (self.own - self.rest)[list(points)]


@dataclass
class RenderConfig:
    mode: str = "crop"  # "crop": the face crop; "full": the whole portrait
    size: int | str = 512  # 256, 512 or "original"
    grid_step: int = 3  # maps computed every this many pixels, then resized: 52 dB vs per-pixel, ~2.5x faster
    # (benchmarks/warp_speed.py)
    max_work_side: int = 1024  # larger warped regions get a coarser grid still


@dataclass(frozen=True)
class FrameTargets:
    """Where everything goes in each frame, on the canvas."""

    landmarks: np.ndarray  # (T, 68, 2) float32
    head: np.ndarray  # (T, 2, 3) float64: the head's rigid motion as a 2D affine


class WarpRenderer:
    """Render frames of one portrait. Frames come back in one reused buffer: copy to keep them."""

    def __init__(self, portrait: Portrait, config: RenderConfig | None = None):
        self.portrait = portrait
        self.config = config or RenderConfig()
        self.framing: Framing = plan_framing(portrait.size, portrait.landmarks, self.config.mode, self.config.size)
        self.canvas = self.framing.canvas(portrait.image)
        self.landmarks = transform_points(portrait.landmarks.astype(np.float64), self.framing.matrix)
        self.rig: HeadRig = build_rig(self.landmarks, self.framing.width, self.framing.height)
        self.colors: MouthColors = mouth_colors(self.canvas, self.landmarks)
        self.rest_gap = float(lip_gap(self.landmarks))
        self._buffer = np.empty_like(self.canvas)
        rest_h = np.concatenate([self.landmarks, np.ones((68, 1))], axis=1)  # (68, 3)
        self._fit = np.linalg.pinv(rest_h)  # least-squares affine from the rest landmarks
        # (68, 2): how far the photo's own lips or lids cross (usually zero); frames may cross as far
        self._uncrossing = uncross(self.landmarks[None])[0] - self.landmarks

    @property
    def size(self) -> tuple[int, int]:
        return self.framing.width, self.framing.height

    @property
    def own_pose(self) -> np.ndarray:
        """(6,) the photo's own head rotation (degrees) and, as motion is counted, zero translation."""
        return np.concatenate([np.degrees(self.portrait.pose[:3]), np.zeros(3)])

    def targets(self, motion: Motion) -> FrameTargets:
        """Canvas landmarks and head motion for every frame of ``motion``."""
        targets = self.unfolded_targets(motion)
        # no triangle of the mesh folds over: motion beyond that is scaled back, eased in time
        landmarks, head = limit_folds(self.rig, self.landmarks, targets.landmarks.astype(np.float64), targets.head)
        return FrameTargets(landmarks.astype(np.float32), head)

    def unfolded_targets(self, motion: Motion) -> FrameTargets:
        """:meth:`targets` before the fold limit (the pose limit and uncrossed lips already applied)."""
        portrait = self.portrait
        face = apply_displacements(portrait.rest, motion.displacement, motion.points)
        face = close_eyes(face, motion.blink.astype(np.float32))
        # the head's total turn stays within what a warp of this photo can show (render.integrity)
        head_motion = limit_pose(self.own_pose, motion.pose).astype(np.float64)
        pose = np.repeat(portrait.pose[None], len(motion), axis=0)
        pose[:, :3] += np.radians(head_motion[:, :3])
        pose[:, 3:] += head_motion[:, 3:]
        landmarks = transform_points(to_image(face, pose, portrait.size).astype(np.float64), self.framing.matrix)
        # no lip or lid crosses its partner further than it does in the photo itself
        landmarks = uncross(landmarks + self._uncrossing) - self._uncrossing
        rigid = to_image(np.repeat(portrait.own[None], len(motion), axis=0), pose, portrait.size)
        rigid = transform_points(rigid.astype(np.float64), self.framing.matrix)  # (T, 68, 2)
        head = (self._fit @ rigid).transpose(0, 2, 1)  # (T, 2, 3)
        return FrameTargets(landmarks.astype(np.float32), head)

    def _work(self, landmarks: np.ndarray, head: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int], int]:
        """(mesh target points, the region that changes, the grid step) of one frame."""
        target = self.rig.place(landmarks.astype(np.float64), head)
        x0, y0, x1, y1 = self.rig.region(target)
        side = max(min(x1, self.framing.width) - max(x0, 0), min(y1, self.framing.height) - max(y0, 0))
        return target, (x0, y0, x1, y1), max(self.config.grid_step, -(-side // self.config.max_work_side))

    def sample_maps(self, landmarks: np.ndarray, head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(map_x, map_y): where each pixel of the changing region of this frame reads the canvas,
        before clamping to it (for checks: :mod:`benchmarks.render_integrity`)."""
        target, (x0, y0, x1, y1), step = self._work(landmarks, head)
        region = (max(0, x0), max(0, y0), min(self.framing.width, x1), min(self.framing.height, y1))
        map_x, map_y = warp_maps(self.rig.mesh, target, region, step)
        if step > 1:
            pin_border(map_x, map_y, region, self.size)
        return map_x, map_y

    def render(self, landmarks: np.ndarray, head: np.ndarray) -> np.ndarray:
        """One (H, W, 3) uint8 frame for (68, 2) canvas landmarks and a (2, 3) head affine."""
        target, region, step = self._work(landmarks, head)
        frame = warp_image(self.canvas, self.rig.mesh, target, region, step=step, out=self._buffer,
                           pinned_border=True)  # fmt: skip
        paint_mouth(frame, landmarks, self.rest_gap, self.colors)
        return frame
