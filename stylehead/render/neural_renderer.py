"""The neural renderer: the Style-Aware Generator draws the face, the warp renderer everything around it.

Per portrait (once): the warp renderer is set up as usual; the generator's face crop is fixed on the
portrait's face (``neural_inputs.crop_matrix``), and Style Mapping makes the four ISPs from the
crop and the style's reference shapes (a style pack's, or the neutral preset's).

Per frame: the warp renderer gives the frame (hair, neck, torso, background moved as in ``warp``
mode); the generator draws the face crop from the frame's facial map, the source crop and the ISPs,
and the face region (jaw, brows and forehead, feathered) is blended over the warp frame. Same
interface as :class:`~stylehead.render.warp_renderer.WarpRenderer`.
"""

import numpy as np
import torch

from stylehead.face.align import FaceCrop, invert_affine, paste_back, transform_points
from stylehead.render.generator import StyleAwareGenerator
from stylehead.render.neural_inputs import crop_matrix, cut, generator_input, region_masks, to_uint8
from stylehead.render.style_mapping import patterns_for_image
from stylehead.render.warp_renderer import FrameTargets, Portrait, RenderConfig, WarpRenderer

FEATHER = 0.06  # the face mask's soft edge, as a fraction of the crop side


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """(2, 3) affine: apply ``inner`` then ``outer``."""
    linear = outer[:, :2] @ inner[:, :2]
    return np.concatenate([linear, (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]], axis=1)


class NeuralRenderer:
    """Render frames of one portrait with a trained :class:`StyleAwareGenerator`."""

    def __init__(self, portrait: Portrait, generator: StyleAwareGenerator, reference_face_points: np.ndarray,
                 config: RenderConfig | None = None, device: str | torch.device = "cpu"):  # fmt: skip
        self.warp = WarpRenderer(portrait, config)
        self.generator = generator.eval().to(device)
        self.device = torch.device(device)
        side = generator.config.resolution
        to_crop = crop_matrix(portrait.landmarks, side)
        self.source = cut(portrait.image, to_crop, side)
        source_landmarks = transform_points(portrait.landmarks.astype(np.float64), to_crop)
        self.patterns = patterns_for_image(self.source, source_landmarks, reference_face_points).images
        # canvas pixels → crop pixels: undo the framing, then cut the crop
        self.canvas_to_crop = _compose(to_crop, invert_affine(self.warp.framing.matrix))
        self._crop = FaceCrop(self.source, self.canvas_to_crop, self.warp.size)

    @property
    def size(self) -> tuple[int, int]:
        return self.warp.size

    def targets(self, motion) -> FrameTargets:
        return self.warp.targets(motion)

    def render(self, landmarks: np.ndarray, head: np.ndarray) -> np.ndarray:
        """One (H, W, 3) uint8 frame for (68, 2) canvas landmarks and a (2, 3) head affine."""
        frame = self.warp.render(landmarks, head)
        crop_landmarks = transform_points(landmarks.astype(np.float64), self.canvas_to_crop)
        face = draw_face(self.generator, crop_landmarks, self.source, self.patterns, self.device)
        return blend_face(frame, face, crop_landmarks, self._crop)


@torch.no_grad()
def draw_face(generator: StyleAwareGenerator, landmarks: np.ndarray, source: np.ndarray, patterns: np.ndarray,
              device: torch.device) -> np.ndarray:  # fmt: skip
    """The generator's (S, S, 3) uint8 face crop for (68, 2) crop landmarks, the source crop and the ISPs."""
    return to_uint8(generator(generator_input(landmarks, source, patterns)[None].to(device))[0])


def face_mask(crop_landmarks: np.ndarray, side: int) -> np.ndarray:
    """(S, S) float32 in [0, 1]: the face region of the crop, shrunk a little and feathered."""
    import cv2

    mask = region_masks(crop_landmarks, side)["face"].astype(np.float32)
    blur = max(3, int(FEATHER * side) | 1)
    return cv2.GaussianBlur(cv2.erode(mask, np.ones((blur // 2 + 1,) * 2, np.uint8)), (blur, blur), 0)


def blend_face(frame: np.ndarray, face: np.ndarray, crop_landmarks: np.ndarray, crop: FaceCrop) -> np.ndarray:
    """``frame`` with the generated ``face`` crop blended over its face region (a new array)."""
    return paste_back(frame, face, crop, mask=face_mask(crop_landmarks, face.shape[0]))
