"""The mouth and eye generator(s) run a few frames at a time, their LSTM state carried from call to call.

Offline (:meth:`~stylehead.motion.mouth_eye_generator.MouthEyeGenerator.generate`), the generator
reads a whole clip, its output at frame t is the motion of frame t − ``delay`` (it has heard
``delay`` frames ahead), the clip's end is padded with its last features, and the motion is
smoothed over time. Here the same happens in steps: features go in as they become final, the first
``delay`` outputs are dropped, and a frame leaves the smoother once the frames after it that its
Gaussian reads have come (:class:`TimeSmoother`), so the frames are the offline ones for the same
features.
"""

import numpy as np
import torch

from stylehead.motion.mouth_eye_generator import MouthEyeGenerator


class TimeSmoother:
    """Gaussian smoothing in time with edges held (as :func:`~stylehead.motion.mouth_eye_generator.smooth_in_time`),
    of (T, ...) values given a few frames at a time."""

    def __init__(self, sigma: float):
        self.radius = int(3 * sigma + 0.5) if sigma > 0 else 0
        taps = np.exp(-0.5 * (np.arange(-self.radius, self.radius + 1) / max(sigma, 1e-9)) ** 2)
        self.taps = (taps / taps.sum()).astype(np.float32)
        self.held: np.ndarray | None = None  # the last 2·radius raw frames (with the held first frame before them)

    def push(self, values: np.ndarray, final: bool = False) -> np.ndarray:
        """The smoothed frames that are final once ``values`` have come (all of them when ``final``)."""
        if self.radius == 0:
            return values
        if self.held is None:
            if len(values) == 0:
                return values
            self.held = np.repeat(values[:1], self.radius, axis=0)  # the first frame held before the start
        window = np.concatenate([self.held, values])
        if final:
            window = np.concatenate([window, np.repeat(window[-1:], self.radius, axis=0)])
        ready = len(window) - 2 * self.radius
        flat = window.reshape(len(window), -1)
        out = sum(self.taps[k] * flat[k : k + ready] for k in range(len(self.taps))) if ready > 0 else flat[:0]
        self.held = window[max(0, ready) :] if not final else None
        return np.asarray(out, np.float32).reshape((max(0, ready), *values.shape[1:]))


class MouthStream:
    """(k, D) features in → (k', P, 3) displacements (mm) of the frames that are final, averaged over generators."""

    def __init__(self, generators: list[MouthEyeGenerator]):
        self.generators = generators
        self.states: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * len(generators)
        self.delay = generators[0].config.delay
        if any(g.config.delay != self.delay or g.config.smoothing != generators[0].config.smoothing
               for g in generators):  # fmt: skip
            raise ValueError("a live session needs generators with one delay and one smoothing")
        self.smoother = TimeSmoother(generators[0].config.smoothing)
        self.outputs = 0  # generator outputs so far (the first ``delay`` are dropped)
        self.last: torch.Tensor | None = None  # the last feature row of each generator (the end's padding)

    @torch.inference_mode()
    def push(self, features: list[torch.Tensor], final: bool = False) -> np.ndarray:
        """Each generator's (k, D) features (the same k); ``final`` pads the end as offline and flushes."""
        if len(features[0]):
            self.last = [f[-1] for f in features]
        if final and self.last is not None:  # the end padded with the last features, as offline
            features = [torch.cat([f, last[None].expand(self.delay, -1)]) for f, last in zip(features, self.last,
                                                                                             strict=True)]  # fmt: skip
        count = len(features[0])
        outputs = []
        for i, (generator, rows) in enumerate(zip(self.generators, features, strict=True)):
            if count == 0:
                outputs.append(torch.zeros(0, len(generator.config.points), 3))
                continue
            hidden, self.states[i] = generator.lstm(generator.encoder(rows[None].float()), self.states[i])
            outputs.append(generator.decode(hidden)[0])
        raw = torch.stack(outputs).mean(0).numpy() if outputs else np.zeros((0, 0, 3), np.float32)
        skip = max(0, min(count, self.delay - self.outputs))  # outputs for frames before the first
        self.outputs += count
        return self.smoother.push(raw[skip:], final=final)
