"""The motion models' audio features for audio that arrives in chunks, with bounded memory.

Both features are kept per 60-fps video frame, numbered from the start of the session:

- LSP's log-mel (:mod:`stylehead.audio.features`) is local: each mel frame reads its own 1/60 s
  clip, so a frame is final as soon as its clip has arrived and the stream gives exactly the
  offline values.
- Whisper's encoder states (:mod:`stylehead.audio.speech_features`) are not: every state attends to
  the whole window it is encoded in. The stream encodes the last ``context`` seconds each time
  enough new audio has come, and takes the states of frames at least ``lookahead`` frames from the
  window's end, which have heard that much of what follows. Offline, a short clip is encoded in one
  window padded to 30 s with silence; here the window is followed by 1 s of silence (30 s would cost
  0.2 s a call; with none, the mouth's correlation with real mouths fell by 0.07 on the validation
  speakers: ``docs/live.md``). The loudness floor (Whisper's loudest frame − 80 dB) is the loudest
  frame heard so far.
"""

import numpy as np
import torch

from stylehead.audio.features import FPS, MEL_PER_FRAME, N_MELS, log_mel_clips, mel_clip_start, num_video_frames
from stylehead.audio.speech_encoder import (
    DYNAMIC_RANGE,
    HOP,
    SAMPLE_RATE,
    STATES_PER_SECOND,
    SpeechEncoder,
    whisper_log_mel,
)
from stylehead.audio.speech_features import SILENT_LOG_MEL, to_video_frames

STATE_SAMPLES = SAMPLE_RATE // STATES_PER_SECOND  # 320 samples (20 ms) per encoder state: windows start on one


MAX_CONTEXT = 25.0  # seconds: a window (context, new frames, look-ahead, silence after) stays within Whisper's 30 s


class AudioBuffer:
    """The recent audio of a session: samples are numbered from its start; old ones are let go."""

    def __init__(self, keep_seconds: float):
        self.keep = int(keep_seconds * SAMPLE_RATE)
        self.samples = np.zeros(0, np.float32)
        self.offset = 0  # number of the first sample held

    @property
    def end(self) -> int:
        """Samples received so far."""
        return self.offset + len(self.samples)

    def append(self, samples: np.ndarray) -> None:
        self.samples = np.concatenate([self.samples, np.asarray(samples, np.float32).ravel()])
        extra = len(self.samples) - self.keep
        if extra > 0:
            self.samples = self.samples[extra:]
            self.offset += extra

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start`` to ``stop`` (zeros where none are held or none have arrived yet)."""
        out = np.zeros(max(0, stop - start), np.float32)
        low, high = max(start, self.offset), min(stop, self.end)
        if high > low:
            out[low - start : high - start] = self.samples[low - self.offset : high - self.offset]
        return out


class MelStream:
    """LSP log-mel, (k, 160) per video frame (two 120 Hz frames side by side), exactly as offline."""

    def __init__(self, buffer: AudioBuffer):
        self.buffer = buffer
        self.done = 0  # video frames given out

    def ready(self, final: bool = False) -> int:
        """Video frames whose mel frames can be computed now (at the end: every frame the audio counts)."""
        frames = num_video_frames(self.buffer.end)
        if final:
            return frames
        # a frame's second mel frame reads 1/60 s from its start: it is complete once that has arrived
        while frames > self.done and mel_clip_start(MEL_PER_FRAME * frames - 1) + SAMPLE_RATE // FPS > self.buffer.end:
            frames -= 1
        return frames

    def take(self, stop: int) -> np.ndarray:
        """(stop − done, 160) mel of the next frames up to ``stop``."""
        first = self.done
        if stop <= first:
            return np.zeros((0, MEL_PER_FRAME * N_MELS), np.float32)
        starts = [mel_clip_start(i) for i in range(MEL_PER_FRAME * first, MEL_PER_FRAME * stop)]
        clips = np.stack([self.buffer.read(s, s + SAMPLE_RATE // FPS) for s in starts])
        self.done = stop
        return log_mel_clips(torch.from_numpy(clips)).numpy().reshape(stop - first, MEL_PER_FRAME * N_MELS)


class SpeechStream:
    """Whisper encoder states per video frame for audio arriving in chunks (see the module's note)."""

    def __init__(self, encoder: SpeechEncoder, buffer: AudioBuffer, context: float = 4.0, lookahead: int = 6,
                 hop: int = 6, tail_silence: float = 1.0):  # fmt: skip
        self.encoder, self.buffer = encoder, buffer
        if not 0 < context <= MAX_CONTEXT:
            raise ValueError(f"context must be in (0, {MAX_CONTEXT}] seconds")
        self.context = context  # seconds of audio before the first new frame that each window holds
        self.lookahead = lookahead  # video frames a state must have heard after it
        self.hop = hop  # at least this many new frames before the encoder runs again
        self.tail_silence = tail_silence  # seconds of silence read after the window's end (docs/live.md)
        self.done = 0
        self.loudest = -np.inf  # the loudest log10 mel value heard so far

    def ready(self, final: bool = False) -> int:
        frames = num_video_frames(self.buffer.end)
        if final:
            return frames
        frames -= self.lookahead
        return frames if frames - self.done >= self.hop else self.done

    @torch.inference_mode()
    def take(self, stop: int) -> np.ndarray:
        """(stop − done, D) states of the next frames up to ``stop``."""
        first = self.done
        width = self.encoder.config.width
        if stop <= first:
            return np.zeros((0, width), np.float32)
        start = max(0, int((first / FPS - self.context) * SAMPLE_RATE) // STATE_SAMPLES * STATE_SAMPLES)
        start = max(start, -(-self.buffer.offset // STATE_SAMPLES) * STATE_SAMPLES)  # only what is still held
        end = self.buffer.end
        audio = torch.from_numpy(self.buffer.read(start, end))
        mel = whisper_log_mel(audio, floor=-np.inf)  # unclamped: the floor is the session's, not this window's
        if mel.shape[1] == 0:
            return np.zeros((stop - first, width), np.float32)
        self.loudest = max(self.loudest, float(mel.max()) * 4.0 - 4.0)
        floor = (self.loudest - DYNAMIC_RANGE + 4.0) / 4.0
        mel = mel.clamp(min=floor)
        # silence after the window's end, as Whisper saw the end of every short clip it was trained on
        silence = max(floor, SILENT_LOG_MEL)  # what Whisper reads for digital silence, or the floor above it
        mel = torch.nn.functional.pad(mel, (0, round(self.tail_silence * SAMPLE_RATE / HOP)), value=silence)
        dtype = next(self.encoder.parameters()).dtype
        states = self.encoder(mel[None].to(dtype))[0].float().numpy()
        frames = to_video_frames(states, stop, first, start // STATE_SAMPLES)
        self.done = stop
        return frames
