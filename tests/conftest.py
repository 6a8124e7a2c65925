"""Shared fixtures: the bundled example media and small synthetic clips made on the fly.

The default suite needs nothing from ../shared/data; tests marked ``data`` use it and skip when
it is absent.
"""

import os

# huggingface_hub and gradio read these once, at import time: set them before anything imports them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("MPLBACKEND", "Agg")

import inspect
from pathlib import Path

import numpy as np
import pytest

from tests.synthetic import tone, write_still_video

OPT_IN = ("slow", "data", "load")  # run only when the -m expression names them
PROCESS_FIXTURES = {"served", "app_url", "page"}  # a served app, a browser


def pytest_configure(config):
    """Tests marked slow, data or load run only when asked for by name; every other -m expression (such as
    ``-m "not integration"``) applies on top of that."""
    expression = config.option.markexpr or ""
    skipped = [f"not {marker}" for marker in OPT_IN if marker not in expression]
    config.option.markexpr = " and ".join([f"({expression})"] * bool(expression) + skipped)


def pytest_collection_modifyitems(config, items):
    """``integration``: the tests that start another process (the CLI, a training script, a served app, a
    browser) or learn a style end to end; ``python -m pytest -m "not integration"`` leaves them out."""
    for item in items:
        source = inspect.getsource(item.function) if hasattr(item, "function") else ""
        starts_process = any(word in source for word in ("run_cli(", "subprocess.", "sys.executable"))
        if starts_process or PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)

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
