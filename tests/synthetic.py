"""Synthetic media for tests: tones and still-image videos, made in milliseconds."""

from pathlib import Path

import numpy as np


def tone(seconds: float, rate: int = 16_000, freq: float = 220.0, channels: int = 1) -> np.ndarray:
    """A (N,) or (N, C) float32 sine tone: a stand-in for speech where only the signal path matters."""
    t = np.arange(int(seconds * rate)) / rate
    wave = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return wave if channels == 1 else np.repeat(wave[:, None], channels, axis=1)


def write_still_video(path: Path, image: np.ndarray, frames: int, fps: float = 25.0, audio=None) -> Path:
    from stylehead.media import VideoWriter

    with VideoWriter(path, fps=fps, audio=audio) as writer:
        for _ in range(frames):
            writer.write(image)
    return path
