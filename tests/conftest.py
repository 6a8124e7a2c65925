"""Shared fixtures: the bundled example media and small synthetic clips made on the fly.

The default suite needs nothing from ../shared/data; tests marked ``data`` use it and skip when
it is absent.
"""

import os

# huggingface_hub and gradio read these once, at import time: set them before anything imports them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("MPLBACKEND", "Agg")

from pathlib import Path

import numpy as np
import pytest

from tests.synthetic import tone, write_still_video

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def portrait_path() -> Path:
    return EXAMPLES / "portrait.png"


@pytest.fixture(scope="session")
def speech_path() -> Path:
    return EXAMPLES / "speech.wav"


@pytest.fixture(scope="session")
def portrait(portrait_path) -> np.ndarray:
    from stylehead.media import read_image

    return read_image(portrait_path)


@pytest.fixture(scope="session")
def still_video(tmp_path_factory, portrait) -> Path:
    """The example portrait held still for 60 frames (H.264, with a tone as sound)."""
    path = tmp_path_factory.mktemp("media") / "still.mp4"
    return write_still_video(path, portrait, frames=60, audio=tone(60 / 25.0))


@pytest.fixture(scope="session")
def silent_video(tmp_path_factory, portrait) -> Path:
    """The example portrait for 10 frames, with no audio track."""
    return write_still_video(tmp_path_factory.mktemp("media") / "silent.mp4", portrait, frames=10)


@pytest.fixture(scope="session")
def faceless_video(tmp_path_factory) -> Path:
    """10 frames of a smooth colour gradient: no face anywhere."""
    ramp = np.linspace(0, 255, 128, dtype=np.float32)
    image = np.stack([np.add.outer(ramp, ramp) / 2, np.tile(ramp, (128, 1)), np.full((128, 128), 90.0)], -1)
    return write_still_video(tmp_path_factory.mktemp("media") / "faceless.mp4", image.astype(np.uint8), 10)
