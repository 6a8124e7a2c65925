"""Temporal smoothing of landmark and pose tracks: a zero-lag One Euro filter.

The One Euro filter (Casiez et al., CHI 2012) is a low-pass filter whose cut-off rises with
speed: still faces lose their jitter while fast lip movements keep their timing. Tracks are
filtered forwards and backwards and the two passes averaged, which cancels the filter's lag
(offline tracks have the whole sequence at hand). Invalid frames split a track into runs that are
smoothed separately.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroConfig:
    """Parameters of the One Euro filter, in the track's units per second."""

    min_cutoff: float = 2.0  # Hz: cut-off for a still signal; lower removes more jitter
    beta: float = 2.0  # how fast the cut-off rises with speed (units/s); higher keeps fast motion
    derivative_cutoff: float = 1.0  # Hz: smoothing of the speed estimate itself


def _alpha(cutoff: np.ndarray | float, fps: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * np.pi * cutoff)
    return 1.0 / (1.0 + tau * fps)


def one_euro(signal: np.ndarray, fps: float, config: OneEuroConfig = OneEuroConfig()) -> np.ndarray:
    """Filter (T, P, D) points forwards in time; the speed of each point is its D-norm."""
    out = np.empty_like(signal, dtype=np.float64)
    out[0] = signal[0]
    speed = np.zeros(signal.shape[1:-1])
    alpha_d = _alpha(config.derivative_cutoff, fps)
    for t in range(1, len(signal)):
        raw_speed = np.linalg.norm(signal[t] - out[t - 1], axis=-1) * fps
        speed = speed + alpha_d * (raw_speed - speed)
        alpha = _alpha(config.min_cutoff + config.beta * speed, fps)[..., None]
        out[t] = out[t - 1] + alpha * (signal[t] - out[t - 1])
    return out


def smooth_track(
    points: np.ndarray, valid: np.ndarray, fps: float, scale: float = 1.0, config: OneEuroConfig = OneEuroConfig()
) -> np.ndarray:
    """Zero-lag One Euro smoothing of (T, P, D) points, run by run over the valid frames.

    ``scale`` is the size of one unit of motion (for landmarks, the face's interocular distance in
    pixels), so that the filter's speeds do not depend on image size.
    """
    smoothed = np.asarray(points, dtype=np.float64).copy()
    for start, stop in valid_runs(valid):
        if stop - start < 3:
            continue
        run = smoothed[start:stop] / scale
        forward = one_euro(run, fps, config)
        backward = one_euro(run[::-1], fps, config)[::-1]
        smoothed[start:stop] = (forward + backward) / 2 * scale
    return smoothed.astype(points.dtype)


def valid_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the runs of True in a boolean (T,) array."""
    padded = np.concatenate([[False], np.asarray(valid, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def fill_gaps(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linearly interpolate (T, ...) values across invalid frames; hold them at the ends."""
    valid = np.asarray(valid, dtype=bool)
    if valid.all() or not valid.any():
        return values.copy()
    times = np.arange(len(values))
    flat = values.reshape(len(values), -1)
    filled = np.stack([np.interp(times, times[valid], column[valid]) for column in flat.T], axis=1)
    return filled.reshape(values.shape).astype(values.dtype)
