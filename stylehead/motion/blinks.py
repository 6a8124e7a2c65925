"""Eye blinks: closing events with a rate and a duration that a style can set, and their measurement.

Blinks carry no information about the audio, so they are drawn, not predicted: intervals between
blinks follow a gamma distribution (shape 3: more regular than a Poisson process, as real blinking
is) whose mean is 60 / rate seconds, with a refractory minimum. Each blink closes the lids quickly
(the first third of its duration) and opens them more slowly, as real lids do.
"""

from dataclasses import dataclass

import numpy as np

from stylehead.face.smoothing import valid_runs

INTERVAL_SHAPE = 3.0  # gamma shape of the intervals between blinks
CLOSING_SHARE = 0.35  # part of a blink spent closing


@dataclass
class BlinkConfig:
    """When and how the eyes blink."""

    rate_per_minute: float = 17.0  # blinks per minute (adults talking: about 15-25)
    duration: float = 0.25  # seconds from open to closed to open
    min_interval: float = 0.8  # seconds: no blink follows another sooner than this
    depth: float = 1.0  # 1 closes the lids fully; lower values make half blinks


def blink_curve(num_frames: int, fps: float, config: BlinkConfig, rng: np.random.Generator) -> np.ndarray:
    """(T,) float32 lid closure in [0, 1] (0 open, 1 closed) for ``num_frames`` frames."""
    return BlinkSchedule(config, fps, rng).closure(0, num_frames)


class BlinkSchedule:
    """Blinks drawn one after another as time goes on: a clip's whole curve, or a live session's next frames.

    The draws come in the same order however the frames are asked for, so frames ``a:b`` read
    the same closure as frames ``a:b`` of one call over the whole clip. Frames are asked for in
    order: blinks over before the first frame asked for are forgotten.
    """

    def __init__(self, config: BlinkConfig, fps: float, rng: np.random.Generator):
        self.config, self.fps, self.rng = config, fps, rng
        self.starts: list[float] = []  # seconds at which each blink drawn and not yet over begins
        if config.rate_per_minute > 0:
            mean_interval = 60.0 / config.rate_per_minute
            self._scale = max(mean_interval - config.min_interval, 1e-3) / INTERVAL_SHAPE
            self.starts.append(rng.uniform(0.3, 1.0) * mean_interval)  # the first blink comes a little earlier

    def closure(self, first: int, stop: int) -> np.ndarray:
        """(stop − first,) float32 lid closure of frames ``first`` to ``stop``."""
        config = self.config
        closure = np.zeros(max(0, stop - first), dtype=np.float32)
        if not self.starts or len(closure) == 0:
            return closure
        end = stop / self.fps
        while self.starts[-1] < end:  # draw on until a blink starts after these frames
            self.starts.append(self.starts[-1] + config.min_interval + self.rng.gamma(INTERVAL_SHAPE, self._scale))
        frame_times = np.arange(first, stop) / self.fps
        begin = first / self.fps
        # blinks over before these frames are not read again (frames are asked for in order): let them go
        while len(self.starts) > 1 and self.starts[0] + config.duration < begin - 1.0 / self.fps:
            self.starts.pop(0)
        for time in self.starts:
            if time >= end or time + config.duration <= begin - 1.0 / self.fps:
                continue
            phase = (frame_times - time) / config.duration
            inside = (phase >= 0) & (phase < 1)
            closing = np.clip(phase / CLOSING_SHARE, 0, 1)
            opening = np.clip((1 - phase) / (1 - CLOSING_SHARE), 0, 1)
            shape = np.sin(0.5 * np.pi * np.minimum(closing, opening)) ** 2
            closure = np.maximum(closure, np.where(inside, config.depth * shape, 0.0).astype(np.float32))
        return closure


def measure_blinks(opening: np.ndarray, fps: float, threshold: float = 0.6) -> BlinkConfig:
    """Blink rate and duration of a real (T,) eye-opening track (e.g. :attr:`Track.eye_opening`).

    A blink is a run of frames whose opening falls below ``threshold`` × the track's median
    opening; its duration is taken as twice the run's length (the run is its closed half).
    """
    opening = np.asarray(opening, dtype=np.float64)
    if len(opening) < 2 or fps <= 0:
        return BlinkConfig(rate_per_minute=0.0)
    closed = opening < threshold * np.median(opening)
    lengths = np.array([stop - start for start, stop in valid_runs(closed)], dtype=np.float64) / fps
    keep = lengths < 1.0  # longer closures are not blinks (eyes shut on purpose, tracking loss)
    minutes = len(opening) / fps / 60.0
    rate = float(keep.sum() / minutes)
    duration = float(np.clip(2 * np.median(lengths[keep]), 0.1, 0.6)) if keep.any() else BlinkConfig.duration
    return BlinkConfig(rate_per_minute=rate, duration=duration)
