"""A mouth interior for a portrait whose mouth opens wider than in the photo.

Warping a closed mouth open stretches the lip line into the gap. Where the target mouth is more
open than the portrait's, the inner-lip polygon is painted instead: a dark cavity shaded towards
the corners, the upper teeth under the upper lip and a thinner, darker row of lower teeth above the
lower lip. Colours come from the portrait (the lips' own hue for the cavity, the face's brightness
for the teeth), edges are anti-aliased and feathered, and the paint fades in over the first pixels
of extra opening (a fifth of the mouth's width), so small openings stay mostly the warp's.
"""

from dataclasses import dataclass

import numpy as np

from stylehead.face.landmarks import INNER_LIPS, OUTER_LIPS, interocular_distance, lip_gap

UPPER_INNER = (60, 61, 62, 63, 64)
LOWER_INNER = (64, 65, 66, 67, 60)
TEETH_SHARE = 0.35  # the upper teeth cover up to this share of the opening...
TEETH_MAX = 0.13  # ... and at most this share of the mouth's width
LOWER_TEETH_SHARE = 0.12
TEETH_GREY = np.array([228.0, 228.0, 228.0])  # painted teeth: this grey...
TEETH_WARMTH = np.array([8.0, 2.0, -10.0])  # ... plus this warmth, at a typical skin's saturation
SKIN_SATURATION = 0.3  # (max - min) / max of a typical skin colour, (200, 160, 140)
LIP_MARGIN = 0.12  # share of the opening, on each lip, drawn as lip rather than cavity
# Extra opening (share of the mouth width) over which the interior fades in. Chosen by re-tracking
# renders of 5 training clips with dlib (benchmarks/mouth_retrack.py): at 0.02 dlib read the mouth
# 1.27x as open as commanded (~0.03 interocular distances too wide), mean r 0.926; at 0.2, 1.09x, r 0.953.
FADE_IN = 0.2
CLOSED_SHARE = 1.0  # closing lips are painted over the photo's open mouth below this share of its gap


POLYGON_SHIFT = 4  # polygons are drawn with 4 fractional bits (sub-pixel corners)


@dataclass(frozen=True)
class _MouthBox:
    """The pixels around the inner lips that a painter touches, and drawing inside them."""

    x0: int
    y0: int
    x1: int
    y1: int

    @classmethod
    def around(cls, frame: np.ndarray, landmarks: np.ndarray) -> "_MouthBox | None":
        """The inner lips' box with a margin, clipped to ``frame``; None when it is (nearly) empty."""
        inner = landmarks[list(INNER_LIPS), :2]
        x0, y0 = np.floor(inner.min(0)).astype(int) - 3
        x1, y1 = np.ceil(inner.max(0)).astype(int) + 4
        height, width = frame.shape[:2]
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        return cls(int(x0), int(y0), int(x1), int(y1)) if x1 - x0 >= 2 and y1 - y0 >= 2 else None

    @property
    def shape(self) -> tuple[int, int]:
        return self.y1 - self.y0, self.x1 - self.x0

    def fixed_point(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) frame pixels → int32 box coordinates with POLYGON_SHIFT fractional bits."""
        return np.round((points - [self.x0, self.y0]) * (1 << POLYGON_SHIFT)).astype(np.int32)

    def fill(self, points: np.ndarray) -> np.ndarray:
        """An anti-aliased (h, w) float32 mask of the polygon, 0 to 1."""
        import cv2

        mask = np.zeros(self.shape, np.uint8)
        cv2.fillPoly(mask, [self.fixed_point(points)], 255, lineType=cv2.LINE_AA, shift=POLYGON_SHIFT)
        return mask.astype(np.float32) / 255

    def blend(self, frame: np.ndarray, paint: np.ndarray, alpha: np.ndarray) -> None:
        """frame ← frame·(1 − alpha) + paint·alpha inside the box, in place; alpha is (h, w, 1)."""
        region = frame[self.y0 : self.y1, self.x0 : self.x1].astype(np.float32)
        blended = region * (1 - alpha) + paint * alpha + 0.5
        frame[self.y0 : self.y1, self.x0 : self.x1] = np.clip(blended, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class MouthColors:
    cavity: np.ndarray  # (3,) float32 RGB
    lip: np.ndarray
    teeth: np.ndarray
    lower_teeth: np.ndarray


def mouth_colors(image: np.ndarray, landmarks: np.ndarray) -> MouthColors:
    """Cavity and teeth colours for a portrait's (68, 2) landmarks on ``image``.

    The cavity is a darkened lip colour. The teeth take the portrait's own when it shows them (the
    brightest pixels inside its inner lips, if they are brighter than the skin), otherwise an
    off-white toned by the skin's brightness, as warm as the skin is saturated (grey in a
    black-and-white photo).
    """
    import cv2

    lip_mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(lip_mask, [np.round(landmarks[list(OUTER_LIPS)]).astype(np.int32)], 1)
    inner_mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(inner_mask, [np.round(landmarks[list(INNER_LIPS)]).astype(np.int32)], 1)
    lips = image[(lip_mask & (1 - inner_mask)).astype(bool)].astype(np.float32)
    lip = np.median(lips, 0) if len(lips) else np.array([150.0, 80.0, 80.0], np.float32)
    x, y = np.round(landmarks[29]).astype(int)  # the nose bridge: skin
    skin_patch = image[max(y - 3, 0) : y + 4, max(x - 3, 0) : x + 4].reshape(-1, 3).astype(np.float32)
    skin = np.median(skin_patch, 0) if len(skin_patch) else np.array([200.0, 160.0, 140.0], np.float32)
    # an off-white toned by the skin's brightness, as warm as the skin is saturated: grey in a black-and-white
    # photo, warmer in a yellowed painting, as before in a colour photo
    saturation = float((skin.max() - skin.min()) / max(float(skin.max()), 1.0))
    warmth = np.clip(saturation / SKIN_SATURATION, 0.0, 1.5)
    teeth = (TEETH_GREY + warmth * TEETH_WARMTH) * np.clip(0.55 + 0.45 * skin.mean() / 200.0, 0.6, 1.0)
    inside = image[inner_mask.astype(bool)].astype(np.float32)
    if len(inside) >= 12:
        bright = inside[inside.mean(1) >= np.quantile(inside.mean(1), 0.8)]
        colour = np.median(bright, 0)
        neutral = colour.max() - colour.min() < 0.25 * colour.mean()  # teeth are near-grey, not lip or tongue
        if colour.mean() > max(skin.mean(), 140) and neutral:  # the portrait shows its teeth
            teeth = colour
    cavity = lip * 0.2 + np.array([8.0, 2.0, 3.0])
    return MouthColors(cavity.astype(np.float32), lip.astype(np.float32), np.minimum(teeth, 248).astype(np.float32),
                       (np.asarray(teeth) * 0.8).astype(np.float32))  # fmt: skip


def paint_mouth(frame: np.ndarray, landmarks: np.ndarray, rest_opening: float, colors: MouthColors) -> None:
    """Paint the interior into ``frame`` (in place) for target (68, 2) canvas landmarks.

    ``rest_opening`` is the portrait's own inner-lip gap in canvas pixels: only opening beyond it
    is painted.
    """
    import cv2

    width = float(np.linalg.norm(landmarks[64] - landmarks[60]))
    opening = float(lip_gap(landmarks[:, :2]))
    if opening < rest_opening and width >= 2:
        close_lips(frame, landmarks, opening, rest_opening, colors)
        return
    strength = np.clip((opening - rest_opening) / max(FADE_IN * width, 1e-6), 0.0, 1.0)
    if strength <= 0 or width < 2:
        return
    box = _MouthBox.around(frame, landmarks)
    if box is None:
        return
    fill = box.fill
    hole = fill(landmarks[list(INNER_LIPS), :2])
    down = _normal(landmarks)
    # The lips keep a visible inner edge: the cavity starts a little inside the inner-lip line.
    # (Stretching a closed mouth open leaves the dark lip line along that edge, which reads as a
    # wider opening than the landmarks say.)
    inset = LIP_MARGIN * opening * np.array([0.0, 1.0, 1.0, 1.0, 0.0])[:, None] * down
    upper = landmarks[list(UPPER_INNER), :2].astype(np.float64) + inset
    lower = landmarks[list(LOWER_INNER), :2].astype(np.float64) - inset
    cavity = fill(np.concatenate([upper, lower[1:-1]]))
    tooth_h = min(TEETH_SHARE * opening, TEETH_MAX * width)
    low_h = min(LOWER_TEETH_SHARE * opening, 0.4 * TEETH_MAX * width)
    teeth = fill(np.concatenate([upper, (upper + tooth_h * down)[::-1]]))
    lower_teeth = fill(np.concatenate([lower, (lower - low_h * down)[::-1]]))
    # Mouth coordinates: u along the mouth (−1 and 1 at the corners), v towards the chin (pixels).
    ys, xs = np.mgrid[box.y0 : box.y1, box.x0 : box.x1].astype(np.float32)
    centre = (landmarks[60, :2] + landmarks[64, :2]) / 2
    across = np.array([down[1], -down[0]], np.float32)
    u = ((xs - centre[0]) * across[0] + (ys - centre[1]) * across[1]) / max(width / 2, 1.0)
    v = (xs - centre[0]) * down[0] + (ys - centre[1]) * down[1]
    front = np.clip((0.85 - np.abs(u)) / 0.35, 0.0, 1.0)  # teeth fade into the dark corners
    teeth *= front
    lower_teeth *= front * 0.75 * (opening > 0.18 * width)  # only in wide openings
    # Teeth darken towards their biting edge; the cavity towards the corners; a tongue near the lower lip.
    tooth_shade = np.clip(1.0 - 0.25 * (v - v[teeth > 0.5].min(initial=0)) / max(tooth_h, 1.0), 0.7, 1.0)
    shade = np.clip(1.0 - 0.5 * u**2, 0.4, 1.0)[..., None]
    tongue = np.clip((v - (opening * 0.1)) / max(opening * 0.5, 1.0), 0.0, 1.0)[..., None] * 0.5
    paint = colors.cavity * (1 - tongue) + (colors.cavity * 2.4) * tongue
    paint = paint * (1 - lower_teeth[..., None]) + colors.lower_teeth * lower_teeth[..., None]
    paint = paint * (1 - teeth[..., None]) + (colors.teeth * tooth_shade[..., None]) * teeth[..., None]
    paint = paint * shade
    edge = (1 - cavity)[..., None]
    paint = paint * (1 - edge) + colors.lip * 0.85 * edge
    paint = cv2.GaussianBlur(paint, (0, 0), max(0.5, width / 160))
    alpha = cv2.GaussianBlur(hole, (0, 0), 0.6)[..., None] * strength
    box.blend(frame, paint, alpha)


def close_lips(frame: np.ndarray, landmarks: np.ndarray, opening: float, rest_opening: float,
               colors: MouthColors) -> None:  # fmt: skip
    """Lips that close over a photo's open mouth: lip colour over the squeezed teeth, a dark seam.

    A warp can only squeeze the photo's teeth and cavity into a narrower gap, which still reads as
    an open mouth; as the gap closes, the inner-lip polygon is painted as lip, with a thin dark line
    where the lips meet.
    """
    import cv2

    strength = float(np.clip(1.0 - opening / max(CLOSED_SHARE * rest_opening, 1e-6), 0.0, 1.0))
    if strength <= 0:
        return
    box = _MouthBox.around(frame, landmarks)
    if box is None:
        return
    lips = box.fill(landmarks[list(INNER_LIPS), :2].astype(np.float64))
    seam = np.zeros(box.shape, np.uint8)
    upper = landmarks[list(UPPER_INNER), :2].astype(np.float64)
    lower = landmarks[list(LOWER_INNER), :2].astype(np.float64)[::-1]  # 60, 67, 66, 65, 64
    middle = (upper + lower) / 2
    thickness = max(1, round(float(interocular_distance(landmarks[:, :2])) / 90))
    cv2.polylines(seam, [box.fixed_point(middle)], False, 255, thickness, cv2.LINE_AA, POLYGON_SHIFT)
    alpha = cv2.GaussianBlur(cv2.dilate(lips, np.ones((3, 3), np.uint8)), (0, 0), 0.8)
    seam_alpha = seam.astype(np.float32)[..., None] / 255 * 0.8
    paint = np.broadcast_to(colors.lip, (*box.shape, 3)) * (1 - seam_alpha) + colors.cavity * seam_alpha
    box.blend(frame, paint, alpha[..., None] * strength)


def _normal(landmarks: np.ndarray) -> np.ndarray:
    """Unit vector from the upper lip towards the lower (perpendicular to the mouth line)."""
    across = landmarks[64, :2] - landmarks[60, :2]
    across = across / max(float(np.linalg.norm(across)), 1e-9)
    return np.array([-across[1], across[0]], np.float64)
