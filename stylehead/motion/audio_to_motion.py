"""From audio to per-frame motion with the trained components: the motion stage of the pipeline.

``AudioToMotion.from_pretrained(weights)`` loads the mouth and eye generator(s), the head pose model
and the audio encoders they read (the speech encoder, Whisper's; the APC encoder when a generator
reads APC features) named by a weights bundle's manifest (:mod:`stylehead.weights_index`). Calling it
on 16 kHz audio returns :class:`~stylehead.motion.data.Motion` at 60 fps.

A bundle may name several generators (an ensemble reading different audio features); their
predictions are averaged. The shipped bundle has one (``docs/decisions.md`` says why).
"""

import contextlib
import copy
import functools
import hashlib
import io
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

from stylehead.audio.apc import APCEncoder
from stylehead.audio.features import FPS
from stylehead.audio.inputs import audio_features, stack_inputs
from stylehead.audio.speech_encoder import SpeechEncoder
from stylehead.errors import StyleheadError
from stylehead.face.pose import angular_speed
from stylehead.hub import resolve_weights
from stylehead.motion.blinks import BlinkConfig, blink_curve
from stylehead.motion.data import BROW_POINTS, INTEROCULAR_MM, Motion, MotionControls
from stylehead.motion.displacement_limit import limit_displacement
from stylehead.motion.head_pose_model import HeadPoseModel
from stylehead.motion.mouth_eye_generator import MouthEyeGenerator
from stylehead.safe_loading import load_component
from stylehead.weights_index import WeightsIndex


class AudioToMotion:
    """The trained audio → motion components, loaded once and reused for every request."""

    def __init__(self, generators: list[MouthEyeGenerator], head_pose: HeadPoseModel, apc: APCEncoder | None = None,
                 generator_names: list[str] | None = None, speech_encoder: SpeechEncoder | None = None):  # fmt: skip
        self.generators = [generator.eval() for generator in generators]
        self.generator_names = generator_names or [
            "mouth_eye_generator" + (f"_{i}" if i else "") for i in range(len(generators))
        ]
        points = {tuple(g.config.points) for g in self.generators}
        if len(points) != 1:
            raise ValueError("the mouth and eye generators of one bundle must move the same landmarks")
        self.points = points.pop()
        self.head_pose = head_pose.eval()
        self.apc = apc.eval() if apc is not None else None
        self.speech_encoder = speech_encoder.float().eval() if speech_encoder is not None else None
        needed = {name for g in self.generators for name in g.config.features} | set(head_pose.config.features)
        if "apc" in needed and apc is None:
            raise ValueError("the motion models read APC features but the bundle has no apc_encoder")
        if "speech" in needed and speech_encoder is None:
            raise ValueError("the motion models read speech encoder states but the bundle has no speech_encoder")
        self.features_needed = needed

    @classmethod
    def from_pretrained(cls, source: str | Path | None = None) -> "AudioToMotion":
        """The motion components of a weights bundle (see :mod:`stylehead.weights_index`)."""
        # huggingface_hub's mixin prints "Loading weights from local directory" on stdout for every
        # component; stdout belongs to the caller (the CLI prints results there).
        with contextlib.redirect_stdout(io.StringIO()):
            return cls._load(WeightsIndex.read(resolve_weights(source)))

    @classmethod
    def _load(cls, index: WeightsIndex) -> "AudioToMotion":
        names = index.names("MouthEyeGenerator")
        poses = index.names("HeadPoseModel")
        if not names or len(poses) != 1:
            raise StyleheadError(f"{index.folder} needs at least one MouthEyeGenerator and one HeadPoseModel; "
                                 "it is not a stylehead motion bundle.")  # fmt: skip
        generators = [load_component(MouthEyeGenerator, index.component(name)) for name in names]
        head_pose = load_component(HeadPoseModel, index.component(poses[0]))
        apc = [load_component(APCEncoder, index.component(name)) for name in index.names("APCEncoder")]
        speech = [load_component(SpeechEncoder, index.component(name)) for name in index.names("SpeechEncoder")]
        return cls(generators, head_pose, apc[0] if apc else None, names, speech[0] if speech else None)

    @functools.cached_property
    def fingerprint(self) -> str:
        """A short hash of the generators' weights: the base a style's weight deltas apply to.

        Computed once per model (the weights of a loaded model never change; a styled copy is a
        new model).
        """
        digest = hashlib.sha256()
        for name, generator in zip(self.generator_names, self.generators, strict=True):
            digest.update(name.encode())
            for key, value in sorted(generator.state_dict().items()):
                digest.update(key.encode())
                digest.update(value.detach().cpu().float().numpy().tobytes())
        return digest.hexdigest()[:16]

    def with_style(self, deltas: dict[str, np.ndarray], base: str = "") -> "AudioToMotion":
        """A copy whose generators carry a style's weight deltas ("<generator>.<parameter>" → change).

        The copy shares the head pose model and encoders; this model is unchanged (other requests
        may be using it). :class:`StyleheadError` when the deltas do not fit these generators.
        """
        if not deltas:
            return self
        if base and base != self.fingerprint:
            raise StyleheadError("This style was learned with other motion weights; learn it again with these.")
        generators = []
        for name, generator in zip(self.generator_names, self.generators, strict=True):
            styled = copy.deepcopy(generator)
            parameters = dict(styled.named_parameters())
            for key, value in deltas.items():
                component, _, parameter = key.partition(".")
                if component != name:
                    continue
                if parameter not in parameters or tuple(parameters[parameter].shape) != value.shape:
                    raise StyleheadError(f"The style's weight change {key} does not fit these motion weights.")
                with torch.no_grad():
                    parameters[parameter] += torch.from_numpy(value.astype(np.float32))
            generators.append(styled)
        unknown = {key.partition(".")[0] for key in deltas} - set(self.generator_names)
        if unknown:
            raise StyleheadError(f"The style changes {sorted(unknown)}, which these motion weights do not have.")
        return AudioToMotion(generators, self.head_pose, self.apc, self.generator_names, self.speech_encoder)

    @staticmethod
    def generator_inputs(generator: MouthEyeGenerator, features: dict[str, np.ndarray]) -> torch.Tensor:
        """(T, D) inputs of one generator from :meth:`audio_features`' output."""
        return stack_inputs(tuple(generator.config.features), features)

    def audio_features(self, audio: np.ndarray) -> dict[str, np.ndarray]:
        """The features the models read, computed once: mel (2T, 80), phones (T, 40), apc (2T, H), speech (T, D)."""
        return audio_features(audio, self.features_needed, self.apc, self.speech_encoder)

    @torch.inference_mode()
    def mouth_and_eyes(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """(T, P, 3) mouth, jaw and eye displacements for precomputed features (the generators' mean)."""
        outputs = [g.generate(stack_inputs(tuple(g.config.features), features)) for g in self.generators]
        count = min(len(o) for o in outputs)
        return torch.stack([o[:count] for o in outputs]).mean(0).numpy()

    @torch.inference_mode()
    def head_motion(self, features: dict[str, np.ndarray], temperature: float | None = None, seed: int = 0
                    ) -> np.ndarray:  # fmt: skip
        """(T, 6) sampled head pose (degrees, mm) about the subject's own pose (see HeadPoseModel.motion)."""
        inputs = stack_inputs(tuple(self.head_pose.config.features), features)
        return self.head_pose.motion(inputs, temperature, torch.Generator().manual_seed(seed))

    def head_poses(self, features: dict[str, np.ndarray], controls: MotionControls) -> np.ndarray:
        """(T, 6) head pose as the video shows it: sampled, smoothed, given the style's spread and
        speed (or, without a style, those of the training clips' natural talkers), then scaled."""
        config = self.head_pose.config
        pose = smooth_pose(self.head_motion(features, controls.temperature, controls.seed))
        std = controls.pose_std if controls.pose_std is not None else config.default_pose_std
        speed = controls.pose_speed if controls.pose_speed is not None else config.default_pose_speed
        return restyle_pose(pose, std, speed) * np.float32(controls.head_motion_scale)

    def __call__(self, audio: np.ndarray, controls: MotionControls | None = None) -> Motion:
        """Motion for (N,) float32 16 kHz audio."""
        controls = controls or MotionControls()
        features = self.audio_features(audio)
        # (a style's generator far outside what it was tuned on must not throw the face apart)
        displacement = limit_displacement(self.mouth_and_eyes(features) * np.float32(controls.mouth_scale))
        count = len(displacement)
        if controls.still or controls.head_motion_scale == 0:
            pose = np.zeros((count, 6), np.float32)
        elif controls.pose_track is not None:
            pose = replay_pose(controls.pose_track, count, controls.seed)
            pose = restyle_pose(pose, controls.pose_std, controls.pose_speed) * np.float32(controls.head_motion_scale)
        else:
            pose = self.head_poses(features, controls)[:count]
        rng = np.random.default_rng(controls.seed)
        blink = blink_curve(count, FPS, controls.blinks or BlinkConfig(), rng)
        points = self.points
        if controls.brow_track is not None:  # a style's brows, replayed in step with its head motion
            brows = replay_pose(controls.brow_track, count, controls.seed) * np.float32(INTEROCULAR_MM)
            displacement = np.concatenate([displacement, limit_displacement(brows.astype(np.float32))], axis=1)
            points = (*points, *BROW_POINTS)
        return Motion(points, displacement, pose, blink)


def replay_pose(track: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """(count, 6) head motion played from a style's own (N, 6) track (degrees, mm, 60 fps); any (N, ...) track
    (a style's brows) plays the same frames for the same N and seed.

    It plays from a frame the seed picks, forward, and at either end of the track turns back, as a
    head that has turned far turns back (a forward loop would jump, or sweep back at once in a
    crossfade: reference clips are often a few seconds long and end far from where they started).
    """
    return replay_frames(track, 0, count, seed)


def replay_frames(track: np.ndarray, first: int, stop: int, seed: int = 0) -> np.ndarray:
    """Frames ``first`` to ``stop`` of :func:`replay_pose` (a live session plays them a few at a time)."""
    track = np.asarray(track, np.float32)
    start = int(np.random.default_rng(seed).integers(max(1, 2 * (len(track) - 1))))
    return track[reflect(start + np.arange(first, stop), len(track))]


def reflect(position: np.ndarray, length: int) -> np.ndarray:
    """Positions along a track of ``length`` frames played forward and back again (0 … length−1 … 0 …), for
    whole or fractional positions: how head motion is replayed and played faster or slower."""
    period = max(1, 2 * (length - 1))
    position = position % period
    return np.where(position > length - 1, period - position, position)


def restyle_pose(pose: np.ndarray, std: tuple[float, ...] | None, speed: float | None, fps: float = FPS
                 ) -> np.ndarray:  # fmt: skip
    """(T, 6) pose about zero, played at a rate that gives a mean angular ``speed`` (degrees/s) and
    rescaled value by value to a spread ``std``; either may be None (left as it is)."""
    if len(pose) < 2:
        return pose
    if speed is not None and speed <= 0:  # a head that does not move (a still reference): no motion to play
        return np.zeros_like(pose)

    def rescaled(values: np.ndarray) -> np.ndarray:
        values = values - values.mean(0, keepdims=True)
        if std is None:
            return values
        return values * (np.asarray(std, np.float32) / np.maximum(values.std(0), 1e-6))

    pose = rescaled(pose)
    frames = np.arange(len(pose))
    for _ in range(6):  # playing at another rate changes the spread a little, rescaling the speed: settle both
        current = angular_speed(pose, fps)
        if speed is None or current < 1e-6 or abs(current / speed - 1) < 0.02:
            break
        # play the motion faster or slower, reflecting at the ends so every frame has a pose
        folded = reflect(frames * (speed / current), len(pose))
        pose = rescaled(np.stack([np.interp(folded, frames, column) for column in pose.T], 1).astype(np.float32))
    return pose


POSE_SMOOTHING_FRAMES = (3.0, 3.0, 3.0, 6.0, 6.0, 6.0)  # Gaussian σ per pose value (LSP smooths [3, 10])


def smooth_pose(pose: np.ndarray) -> np.ndarray:
    """Gaussian temporal smoothing of (T, 6) sampled poses, per value."""
    out = np.empty_like(pose)
    for column, sigma in enumerate(POSE_SMOOTHING_FRAMES):
        out[:, column] = gaussian_filter1d(pose[:, column], sigma, mode="nearest")
    return out
