"""The four Style Reference Images of a reference video (paper §4.1) and how they are found.

The paper picks, from the style reference video, the frames whose mouth best matches four key
motion templates; the authors' write-up names them:

- ``none``: the mouth at rest (no sound);
- ``m``: a closed-syllable shape, lips pressed together (/m/, /b/, /p/);
- ``r``: an open-syllable shape with the lips drawn in (/r/, /er/);
- ``o``: an open-syllable shape with rounded, open lips (/ow/, /uw/, /ao/).

Each template is defined by mouth shape: the most closed mouth at its usual width for ``none``, a
closed mouth with the lips pressed thin for ``m``, half-open lips with the corners drawn in for
``r`` and the widest, roundest opening for ``o``. With the reference's sound, pocketsphinx's phone
labels say where to look: the shape search runs over the frames of the template's phones (a few
frames either side, as lips and phone timings differ); without sound, or when a template's phones
never occur, it runs over the whole video. Descriptors come from
face-frame landmarks, so head pose does not change them.
"""

from dataclasses import dataclass

import numpy as np

from stylehead.audio.phones import PHONE_INDEX
from stylehead.errors import StyleheadError
from stylehead.face.frontal import to_face_frame
from stylehead.face.landmarks import interocular_distance, lip_gap

TEMPLATES = ("none", "m", "r", "o")
TEMPLATE_PHONES = {"none": ("SIL",), "m": ("M", "B", "P"), "r": ("R", "ER"), "o": ("OW", "UW", "AO")}
MIN_PHONE_FRAMES = 3  # a template needs this many frames of its phones to be found by sound
PHONE_SLACK = 3  # frames either side of a template's phones that are searched too


@dataclass(frozen=True)
class StyleReferences:
    """The chosen frame for each template, with its landmarks."""

    frames: dict[str, int]  # template → frame index in the reference video
    landmarks: np.ndarray  # (4, 68, 2) float32 image pixels, in TEMPLATES order
    face_points: np.ndarray  # (4, 68, 3) float32 face-frame mm (pose removed)
    method: dict[str, str]  # template → "phones" or "shape": how it was found


def mouth_descriptors(face_points: np.ndarray) -> np.ndarray:
    """(T, 68, 3) face-frame points → (T, 3): opening, width and outer height of the mouth.

    All three are in interocular distances: the inner-lip gap, the corner-to-corner width and the
    outer lips' height (top of the upper lip to the bottom of the lower one).
    """
    points = face_points[..., :2].astype(np.float64)
    scale = np.maximum(interocular_distance(points), 1e-6)
    opening = lip_gap(points)
    width = np.linalg.norm(points[:, 54] - points[:, 48], axis=-1)
    height = np.linalg.norm(points[:, 51] - points[:, 57], axis=-1)
    return np.stack([opening, width, height], axis=1) / scale[:, None]


def _by_shape(template: str, descriptors: np.ndarray, candidates: np.ndarray, reference: np.ndarray) -> int:
    """The frame (an index into ``descriptors``) among ``candidates`` that best shows ``template``.

    Shapes are compared in units of the ``reference`` frames' spread (all the video's face frames).
    """
    z = (descriptors - descriptors[reference].mean(0)) / np.maximum(descriptors[reference].std(0), 1e-9)
    opening, width, height = z.T
    score = {
        "none": -(opening + 0.5 * np.abs(width)),  # closed, at its usual width
        "m": -(opening + height),  # closed, the lips pressed thin
        "r": -(width + 0.5 * np.abs(opening)),  # corners drawn in, half open
        "o": 2.0 * opening - width,  # wide open and round
    }[template]
    return int(candidates[np.argmax(score[candidates])])


def find_references(landmarks: np.ndarray, pose: np.ndarray, valid: np.ndarray, image_size: tuple[int, int],
                    phones: np.ndarray | None = None) -> StyleReferences:  # fmt: skip
    """Pick the four reference frames of a tracked video.

    ``landmarks`` (T, 68, 2) and ``pose`` (T, 6) come from :class:`~stylehead.face.Track`; ``valid``
    (T,) marks frames with a face. ``phones`` is an optional (T, 40) phone track at the video's
    frame rate (see :func:`stylehead.audio.phones.phone_features`, resampled).
    """

    candidates = np.flatnonzero(valid)
    if len(candidates) < 4:
        raise StyleheadError(
            "The style video shows a face in fewer than 4 frames; use a clip where the face is clearly visible."
        )
    face_points = to_face_frame(landmarks, pose, image_size)
    descriptors = mouth_descriptors(face_points)
    frames, method = {}, {}
    labels = phones.argmax(1) if phones is not None else None
    for template in TEMPLATES:
        chosen = None
        taken = np.array(list(frames.values()), dtype=int)
        free = candidates[~np.isin(candidates, taken)]  # four different frames
        if labels is not None:
            spoken = np.isin(labels, [PHONE_INDEX[p] for p in TEMPLATE_PHONES[template]])
            # Phone timings and lips are a few frames apart (coarticulation): widen each run a little.
            near = np.convolve(spoken, np.ones(2 * PHONE_SLACK + 1), mode="same") > 0
            members = free[near[free]]
            if spoken[free].sum() >= MIN_PHONE_FRAMES:
                chosen, how = _by_shape(template, descriptors, members, reference=candidates), "phones"
        if chosen is None:
            chosen, how = _by_shape(template, descriptors, free, reference=candidates), "shape"
        frames[template], method[template] = chosen, how
    order = [frames[t] for t in TEMPLATES]
    return StyleReferences(frames, landmarks[order].astype(np.float32), face_points[order].astype(np.float32), method)
