"""Style Mapping (paper §4.2, eq. 1–2): the four Intermediate Style Pattern (ISP) images.

An ISP shows the neutral image's identity with a style reference's expression. The paper gets the
neutral image's canonical keypoints ``c_k``, the reference's pose ``(R̄, τ̄)`` and expression ``ε̄_k``
and places ``C̄_k = c_k·R̄ + τ̄ + ε̄_k``; a warp of the neutral image's encoded features towards
``C̄_k`` is decoded by an intermediate generator.

Here:

- ``c_k`` is the portrait's rest shape in the frontalised face frame (68 points, mm), and
  ``ε̄_k`` is the reference frame's displacement from the reference's own "none" frame (its
  mouth at rest), scaled to the portrait's face, on the points the motion stage moves (mouth,
  lower jaw, eyes). The pose is the portrait's own (``R̄ = R_s``, ``τ̄ = τ_s``): a style pack keeps
  the references' shapes, not their head poses, and head-pose style reaches the video through the
  motion stage.
- The warp is the one-shot warp renderer's (piecewise-affine on the 68 points and the head rig),
  which also paints the mouth interior. An optional trained :class:`IntermediateGenerator` (a small
  residual U-Net, ``train/train_style_mapping.py``) refines each warped pattern; without its
  weights the warped image is the pattern. The refinement network is what the paper's
  intermediate generator does, trained on (warped frame → real frame) pairs of the same speaker.
"""

from dataclasses import dataclass

import numpy as np

from stylehead.face.landmarks import EYES, LEFT_BROW, NOSE, RIGHT_BROW, interocular_distance
from stylehead.motion.data import MOTION_POINTS, Motion
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer

HEAD_POINTS = RIGHT_BROW + LEFT_BROW + NOSE + EYES  # points that move with the skull, not the jaw


@dataclass(frozen=True)
class StylePatterns:
    """The four ISPs of one portrait and style, with where their landmarks are."""

    images: np.ndarray  # (4, H, W, 3) uint8, on the portrait's canvas
    landmarks: np.ndarray  # (4, 68, 2) float32 canvas pixels


def reference_expressions(reference_face_points: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """ε̄_k: (4, P, 3) displacements of the references from their "none" frame, scaled to ``rest``'s face.

    ``reference_face_points`` (4, 68, 3) in template order (none, m, r, o), face-frame mm;
    ``rest`` (68, 3) the portrait's rest shape. P = the motion stage's points.
    """
    points = list(MOTION_POINTS)
    reference = reference_face_points.astype(np.float64)
    scale = float(interocular_distance(rest[None, :, :2].astype(np.float64))[0]) / max(
        float(interocular_distance(reference[:1, :, :2])[0]), 1e-6
    )
    return ((reference[:, points] - reference[:1, points]) * scale).astype(np.float32)


def style_patterns(renderer: WarpRenderer, reference_face_points: np.ndarray) -> StylePatterns:
    """Eq. 2 through the warp renderer: the portrait at rest pose with each reference's expression."""
    expressions = reference_expressions(reference_face_points, renderer.portrait.rest)
    count = len(expressions)
    motion = Motion(
        points=MOTION_POINTS,
        displacement=expressions,
        pose=np.zeros((count, 6), np.float32),
        blink=np.zeros(count, np.float32),
    )
    targets = renderer.targets(motion)
    images = np.stack([renderer.render(targets.landmarks[k], targets.head[k]).copy() for k in range(count)])
    return StylePatterns(images, targets.landmarks)


def patterns_for_image(image: np.ndarray, landmarks: np.ndarray, reference_face_points: np.ndarray) -> StylePatterns:
    """ISPs on ``image``'s own pixels (the canvas is the image), for a face with (68, 2) ``landmarks``.

    This is what training and the neural renderer use: ``image`` is the generator's face crop.
    """
    renderer = WarpRenderer(Portrait.from_landmarks(image, landmarks), RenderConfig(mode="full", size="original"))
    return style_patterns(renderer, reference_face_points)


def head_affine(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares affine taking the head points of (68, 2) ``source`` landmarks onto ``target``'s."""
    points = list(HEAD_POINTS)
    src = np.concatenate([source[points, :2], np.ones((len(points), 1))], axis=1).astype(np.float64)
    solution, *_ = np.linalg.lstsq(src, target[points, :2].astype(np.float64), rcond=None)
    return solution.T


def warp_to(renderer: WarpRenderer, landmarks: np.ndarray) -> np.ndarray:
    """The portrait warped so that its face has these (68, 2) canvas landmarks (a copy)."""
    return renderer.render(landmarks, head_affine(renderer.landmarks, landmarks)).copy()
