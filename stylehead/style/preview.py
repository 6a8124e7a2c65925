"""Pictures of a style that hold no one's image: its four reference landmark sets as facial maps, and a portrait
(the bundled example's, in a card) speaking in it."""

import cv2
import numpy as np

from stylehead.face.facial_map import draw_facial_map
from stylehead.media import SAMPLE_RATE
from stylehead.motion.data import MotionControls, fit_length, resample_motion
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.style.library import styled, styled_portrait
from stylehead.style.models import StyleModels
from stylehead.style.pack import StylePack
from stylehead.style.references import TEMPLATES

TITLES = {"none": "rest", "m": "M (closed)", "r": "R (drawn in)", "o": "O (round, open)"}
PREVIEW_FPS = 30  # the pipeline's default frame rate: the moments shown are frames of the default video
TILE = 160  # pixels a side of each picture in a style preview


def reference_maps(pack: StylePack, size: int = 256) -> list[tuple[np.ndarray, str]]:
    """The four Style Reference Images as (size, size, 3) uint8 facial maps, each with its template's title.

    Each landmark set is centred and scaled to fill about two thirds of its square.
    """

    maps = []
    for template, points in zip(TEMPLATES, pack.reference_landmarks, strict=True):
        points = points.astype(np.float64)
        low, high = points.min(0), points.max(0)
        scale = 0.66 * size / max(float((high - low).max()), 1e-6)
        placed = (points - (low + high) / 2) * scale + size / 2
        maps.append((draw_facial_map(placed, size=size, colored=True), TITLES[template]))
    return maps


def style_preview(pack: StylePack, models: StyleModels, portrait: Portrait, audio: np.ndarray) -> np.ndarray:
    """(2·TILE, 4·TILE, 3) uint8: the pack's four reference maps above ``portrait`` speaking ``audio`` (16 kHz) in
    its style, at four moments, drawn as the pipeline draws it with the default controls (512 px, warp)."""

    def tile(image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, (TILE, TILE), interpolation=cv2.INTER_AREA)

    motion_model, controls = styled(models.motion, pack, MotionControls())
    motion = resample_motion(motion_model(audio, controls), PREVIEW_FPS)
    motion = fit_length(motion, max(1, int(len(audio) * PREVIEW_FPS // SAMPLE_RATE)))
    renderer = WarpRenderer(styled_portrait(portrait, pack), RenderConfig(size=512))
    targets = renderer.targets(motion)
    moments = np.linspace(0, len(targets.landmarks) - 1, 6)[1:-1].round().astype(int)
    styled_frames = [tile(renderer.render(targets.landmarks[i], targets.head[i])) for i in moments]
    maps = [tile(image) for image, _ in reference_maps(pack)]
    return np.concatenate([np.concatenate(maps, 1), np.concatenate(styled_frames, 1)], 0)
