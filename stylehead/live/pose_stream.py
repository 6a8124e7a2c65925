"""Head motion for a live session, a few frames at a time.

Offline (:meth:`~stylehead.motion.audio_to_motion.AudioToMotion.head_poses`), the head pose model
is sampled over the whole clip after a warm-up on its opening, smoothed, centred, and played
faster or slower and rescaled so that its spread and mean speed are the style's (or the training
talkers'): :func:`~stylehead.motion.audio_to_motion.restyle_pose`, which needs the whole clip.
Live, the same model is sampled autoregressively (:class:`~stylehead.motion.head_pose_model.PoseSampler`)
after a warm-up on the bundle's driving speech; the clip's mean and spread become running ones (the
spread's started from the warm-up's), and the playing rate is fixed once from the warm-up. (A spread
fixed from 20 s of warm-up missed the target by up to 2.8x over two minutes: one sample path's spread
over 20 s says little about the next one's.) A style's replayed head motion is a function of the frame
number, so it plays exactly as offline, its spread and speed fixed from the whole track.
"""

import numpy as np
import torch

from stylehead.audio.features import FPS
from stylehead.face.pose import angular_speed
from stylehead.motion.audio_to_motion import POSE_SMOOTHING_FRAMES, reflect, restyle_pose, smooth_pose
from stylehead.motion.head_pose_model import HeadPoseModel, PoseSampler

MEAN_SECONDS = 8.0  # time constant of the running mean the sampled motion is centred on
SPREAD_SECONDS = 30.0  # time constant of the running spread it is scaled by (slower: no audible "pumping")
MAX_RATE = 4.0  # the playing rate is kept within [1/4, 4]


class SampledPoseStream:
    """The head pose model sampled live: (k, 160) log-mel frames in, (k, 6) poses (degrees, mm) out.

    A pose frame needs the model's audio look-ahead and the smoothing's half-width of samples
    after it; the stream is asked for frames only once the mouth's longer look-ahead has come, and
    reads the last mel frame it has where a later one is not there yet.
    """

    def __init__(self, model: HeadPoseModel, warm_up: np.ndarray, std: tuple[float, ...] | None,
                 speed: float | None, temperature, seed: int, scale: float = 1.0):  # fmt: skip
        self.model = model
        self.sampler = PoseSampler(model)
        self.generator = torch.Generator().manual_seed(seed)
        self.temperature = np.asarray(model.config.temperature if temperature is None else temperature, np.float32)
        self.lookahead = model.config.audio_lookahead
        self.radius = int(4 * max(POSE_SMOOTHING_FRAMES) + 0.5)  # the reach of smooth_pose's Gaussians (4 σ)
        self.mel = np.zeros((0, warm_up.shape[1]), np.float32)  # mel frames received and still needed
        self.mel_offset = 0  # number of the first of them
        self.samples = np.zeros((0, 6), np.float32)  # raw poses sampled (internal frames) and still needed
        self.sample_offset = 0
        self.done = 0  # output frames given out
        self.scale = np.float32(scale)
        # warm up on the driving speech, as offline on the clip's opening, and learn the fixed steps from it
        calibration = self._sample_with(warm_up)
        calibration = smooth_pose(calibration - calibration.mean(0))
        self.mean = np.zeros(6, np.float32)
        self.variance = calibration.var(0).astype(np.float32)  # running, started from the warm-up's
        self.target = None if std is None else np.asarray(std, np.float32)
        self.rate = 1.0
        if speed is not None:
            gain = 1.0 if std is None else self.target / np.maximum(calibration.std(0), 1e-6)
            current = angular_speed(calibration * gain, FPS)
            self.rate = float(np.clip(speed / current, 1 / MAX_RATE, MAX_RATE)) if current > 1e-6 else 1.0
        self.still = speed is not None and speed <= 0

    def _sample_with(self, mel: np.ndarray) -> np.ndarray:
        """Sample one pose per (160,) mel row (already shifted by the look-ahead)."""
        layers = self.model.layer_conditions(torch.from_numpy(mel))
        noise = torch.randn(len(mel), self.model.config.pose_dim, generator=self.generator).numpy() * self.temperature
        return self.sampler.run(layers, noise)

    def push_mel(self, mel: np.ndarray) -> None:
        self.mel = np.concatenate([self.mel, mel])

    def take(self, stop: int) -> np.ndarray:
        """(stop − done, 6) poses of the next output frames."""
        count = max(0, stop - self.done)
        if count == 0 or self.still:
            self.done = max(self.done, stop)
            return np.zeros((count, 6), np.float32)
        positions = (self.done + np.arange(count)) * self.rate  # where each output frame reads the samples
        last = int(np.ceil(positions[-1])) + 1 + self.radius  # the last sample these frames' smoothing reads
        have = self.sample_offset + len(self.samples)
        if last >= have:  # sample on: internal frame j hears mel frame j / rate + look-ahead (or the last one)
            j = np.arange(have, last + 1)
            heard = np.clip((j / self.rate).astype(int) + self.lookahead, self.mel_offset,
                            self.mel_offset + len(self.mel) - 1) - self.mel_offset  # fmt: skip
            self.samples = np.concatenate([self.samples, self._sample_with(self.mel[heard])])
        first = max(self.sample_offset, int(np.floor(positions[0])) - self.radius)
        window = self.samples[first - self.sample_offset : last + 1 - self.sample_offset]
        smoothed = smooth_pose(window)  # as offline, over the samples these frames read and their neighbours
        index = positions - first
        base = np.minimum(np.floor(index).astype(int), len(smoothed) - 2)
        weight = (index - base)[:, None]
        pose = smoothed[base] * (1 - weight) + smoothed[base + 1] * weight
        out = np.empty_like(pose)
        decay = np.float32(1.0 / (MEAN_SECONDS * FPS))
        spread_decay = np.float32(1.0 / (SPREAD_SECONDS * FPS))
        for row in range(len(pose)):  # centred and scaled on running statistics, as offline on the clip's own
            self.mean += decay * (pose[row] - self.mean)
            out[row] = pose[row] - self.mean
            self.variance += spread_decay * (out[row] ** 2 - self.variance)
            if self.target is not None:
                out[row] *= self.target / np.sqrt(np.maximum(self.variance, 1e-12))
        self.done = stop
        self._forget(first)
        return (out * self.scale).astype(np.float32)

    def _forget(self, first_needed: int) -> None:
        """Let go of samples and mel frames no later frame reads, so memory stays flat."""
        drop = first_needed - self.radius - self.sample_offset
        if drop > FPS:
            self.samples, self.sample_offset = self.samples[drop:], self.sample_offset + drop
        heard = int(first_needed / self.rate) - self.mel_offset  # mel frames before this are not read again
        if heard > FPS:
            self.mel, self.mel_offset = self.mel[heard:], self.mel_offset + heard


class ReplayPoseStream:
    """A style's own head motion (its track), played as :func:`~stylehead.motion.audio_to_motion.replay_pose`
    plays it, given the whole track's spread and speed once (offline: the played frames')."""

    def __init__(self, track: np.ndarray, std: tuple[float, ...] | None, speed: float | None, seed: int,
                 scale: float = 1.0):  # fmt: skip
        track = np.asarray(track, np.float32)
        self.track = track
        self.period = max(1, 2 * (len(track) - 1))
        self.start = int(np.random.default_rng(seed).integers(self.period))
        whole = track[reflect(np.arange(self.period), len(track))] if len(track) > 1 else track
        restyled = restyle_pose(whole, std, speed)
        # restyle_pose plays the track faster or slower and rescales it: find both from the whole period
        self.mean = whole.mean(0)
        self.gain = restyled.std(0) / np.maximum(whole.std(0), 1e-6)
        current = angular_speed(whole * self.gain, FPS)
        target = angular_speed(restyled, FPS)
        self.rate = float(np.clip(target / current, 1 / MAX_RATE, MAX_RATE)) if current > 1e-6 else 1.0
        self.still = (speed is not None and speed <= 0) or len(track) < 2
        self.scale = np.float32(scale)
        self.done = 0

    def take(self, stop: int) -> np.ndarray:
        count = max(0, stop - self.done)
        frames = self.done + np.arange(count)
        self.done = max(self.done, stop)
        if self.still:
            return np.zeros((count, 6), np.float32)
        position = reflect(self.start + frames * self.rate, len(self.track))
        low = np.floor(position).astype(int)
        high = np.minimum(low + 1, len(self.track) - 1)
        weight = (position - low)[:, None]
        pose = self.track[low] * (1 - weight) + self.track[high] * weight
        return ((pose - self.mean) * self.gain * self.scale).astype(np.float32)

