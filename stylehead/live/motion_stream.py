"""Audio chunks in, motion out: :class:`~stylehead.motion.audio_to_motion.AudioToMotion`'s work done as audio arrives.

Each part runs incrementally: the features on the recent audio (:mod:`stylehead.live.audio_stream`),
the generators with their LSTM state carried (:mod:`stylehead.live.mouth_stream`), the head pose
model sampled on (:mod:`stylehead.live.pose_stream`) or a style's head motion replayed, blinks drawn
as time goes on, a style's brows replayed in step. A frame comes out once the mouth for it is final:
``lookahead_frames`` after its audio (the speech features' look-ahead, the generator's delay and
half its smoothing).
"""

import numpy as np
import torch

from stylehead.audio.features import FPS, SAMPLE_RATE, log_mel
from stylehead.audio.inputs import stack_inputs
from stylehead.errors import StyleheadError
from stylehead.live.audio_stream import AudioBuffer, MelStream, SpeechStream
from stylehead.live.mouth_stream import MouthStream
from stylehead.live.pose_stream import ReplayPoseStream, SampledPoseStream
from stylehead.motion.audio_to_motion import AudioToMotion, replay_frames
from stylehead.motion.blinks import BlinkConfig, BlinkSchedule
from stylehead.motion.data import BROW_POINTS, INTEROCULAR_MM, Motion, MotionControls
from stylehead.motion.displacement_limit import limit_displacement

LIVE_FEATURES = ("speech", "mel")  # the features a live session can compute as audio arrives
CALIBRATION_SECONDS = 20.0  # of the driving speech: the head pose model's warm-up and its fixed spread and rate


class MotionStream:
    """60-fps :class:`Motion` for audio given a chunk at a time; the same controls as offline."""

    def __init__(self, model: AudioToMotion, controls: MotionControls, warm_up_audio: np.ndarray | None = None,
                 context: float = 4.0, speech_lookahead: int = 6, hop: int = 6):  # fmt: skip
        needed = {name for g in model.generators for name in g.config.features}
        if needed - set(LIVE_FEATURES):
            raise StyleheadError(f"These motion weights read {sorted(needed - set(LIVE_FEATURES))} features, which a "
                                 "live session cannot compute as the audio comes; use weights reading Whisper "
                                 "states or log-mel (the bundled ones do).")  # fmt: skip
        self.model, self.controls = model, controls
        self.buffer = AudioBuffer(keep_seconds=context + 2.0)
        self.mel = MelStream(self.buffer)
        self.speech = SpeechStream(model.speech_encoder, self.buffer, context, speech_lookahead, hop) \
            if "speech" in needed else None  # fmt: skip
        self.mouth = MouthStream(model.generators)
        self.pending: dict[str, list[np.ndarray]] = {name: [] for name in needed}  # features not yet read
        self.done = 0  # 60-fps frames given out
        self.blinks = BlinkSchedule(controls.blinks or BlinkConfig(), FPS, np.random.default_rng(controls.seed))
        self.pose = self._pose_stream(warm_up_audio)
        self.lookahead_frames = (speech_lookahead if self.speech else 0) + self.mouth.delay + self.mouth.smoother.radius

    def _pose_stream(self, warm_up_audio: np.ndarray | None):
        controls = self.controls
        if controls.still or controls.head_motion_scale == 0:
            return None
        if controls.pose_track is not None:
            return ReplayPoseStream(controls.pose_track, controls.pose_std, controls.pose_speed, controls.seed,
                                    controls.head_motion_scale)  # fmt: skip
        config = self.model.head_pose.config
        samples = int(CALIBRATION_SECONDS * SAMPLE_RATE)
        audio = warm_up_audio[:samples] if warm_up_audio is not None else np.zeros(samples, np.float32)
        mel = log_mel(torch.from_numpy(np.asarray(audio, np.float32)))
        mel = stack_inputs(("mel",), {"mel": mel}).numpy()[config.audio_lookahead :]  # two mel frames a row
        std = controls.pose_std if controls.pose_std is not None else config.default_pose_std
        speed = controls.pose_speed if controls.pose_speed is not None else config.default_pose_speed
        return SampledPoseStream(self.model.head_pose, mel, std, speed, controls.temperature, controls.seed,
                                 controls.head_motion_scale)  # fmt: skip

    def push(self, samples: np.ndarray, final: bool = False) -> Motion:
        """The frames that are final once ``samples`` (16 kHz float32) have come; ``final``: every frame left."""
        return self._motion(self.push_mouth(samples, final))

    def push_mouth(self, samples: np.ndarray, final: bool = False) -> np.ndarray:
        """(k, P, 3) the generators' displacements (mm, before the mouth scale) of the frames now final; the
        rest of their motion is not made (:meth:`push` makes it: call one or the other)."""
        self.buffer.append(samples)
        mel = self.mel.take(self.mel.ready(final))
        if isinstance(self.pose, SampledPoseStream):
            self.pose.push_mel(mel)
        if "mel" in self.pending:
            self.pending["mel"].append(mel)
        if self.speech is not None:
            self.pending["speech"].append(self.speech.take(self.speech.ready(final)))
        features = {name: np.concatenate(parts) for name, parts in self.pending.items()}
        count = min(len(f) for f in features.values())
        rows = {name: value[:count] for name, value in features.items()}
        self.pending = {name: [value[count:]] for name, value in features.items()}
        inputs = [torch.cat([torch.from_numpy(rows[name]) for name in g.config.features], 1)
                  for g in self.model.generators]  # fmt: skip
        return self.mouth.push(inputs, final=final)

    def _motion(self, displacement: np.ndarray) -> Motion:
        controls, first = self.controls, self.done
        count = len(displacement)
        stop = first + count
        self.done = stop
        displacement = limit_displacement(displacement.astype(np.float32) * np.float32(controls.mouth_scale))
        pose = self.pose.take(stop) if self.pose is not None else np.zeros((count, 6), np.float32)
        blink = self.blinks.closure(first, stop)
        points = self.model.points
        if controls.brow_track is not None:  # a style's brows, as offline: the same frames of replay_pose
            brows = replay_frames(controls.brow_track, first, stop, controls.seed) * np.float32(INTEROCULAR_MM)
            displacement = np.concatenate([displacement, limit_displacement(brows.astype(np.float32))], axis=1)
            points = (*points, *BROW_POINTS)
        return Motion(points, displacement, pose, blink)


def live_mouth_and_eyes(model: AudioToMotion, audio: np.ndarray, chunk: int = 320, context: float = 4.0,
                        speech_lookahead: int = 6) -> np.ndarray:  # fmt: skip
    """(T, P, 3) what :meth:`AudioToMotion.mouth_and_eyes` gives for ``audio``, computed live: pushed ``chunk``
    samples at a time (320: 20 ms, a microphone's packets), for scoring the live path as the offline one."""
    stream = MotionStream(model, MotionControls(still=True), None, context, speech_lookahead)
    parts = [stream.push_mouth(audio[i : i + chunk]) for i in range(0, len(audio), chunk)]
    parts.append(stream.push_mouth(np.zeros(0, np.float32), final=True))
    parts = [p for p in parts if len(p)]
    return np.concatenate(parts) if parts else np.zeros((0, len(model.points), 3), np.float32)
