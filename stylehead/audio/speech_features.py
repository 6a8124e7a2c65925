"""Speech encoder states for audio of any length, at stylehead's 60 fps.

Whisper's encoder reads exactly 30 s. Longer audio is cut into 30 s windows that start every 20 s;
where two windows overlap (10 s), their states are cross-faded linearly, so that no state jumps at
a seam and every state has at least 5 s of context on each side that either window weights much.
A shorter input, or the last window, is padded with silence at the level Whisper pads with (its
log-mel floor), as Whisper itself sees short audio. The log-mel is scaled once over the whole input,
so every window sees the same floor. Memory is bounded by one window of activations plus the
output: a 10-minute input holds 36,000 × 384 states (55 MB).

The 50 Hz states are resampled linearly to the centre of each 60-fps frame, the frames that
:func:`stylehead.audio.features.num_video_frames` counts.
"""

import numpy as np
import torch

from stylehead.audio.features import FPS, num_video_frames
from stylehead.audio.speech_encoder import (
    DYNAMIC_RANGE,
    HOP,
    SAMPLE_RATE,
    STATES_PER_SECOND,
    WINDOW_FRAMES,
    SpeechEncoder,
    whisper_log_mel,
)

WINDOW_HOP_SECONDS = 20  # a new window every 20 s: 10 s of overlap, cross-faded
SILENT_LOG_MEL = (-10.0 + 4.0) / 4.0  # Whisper's scaled log-mel of digital silence (log10 of its 1e-10 floor)


def window_starts(mel_frames: int, hop_frames: int = WINDOW_HOP_SECONDS * SAMPLE_RATE // HOP) -> list[int]:
    """First mel frame of each window that together cover ``mel_frames`` (at least one window)."""
    extra = max(0, mel_frames - WINDOW_FRAMES)
    return [k * hop_frames for k in range(1 + -(-extra // hop_frames))]


def crossfade_weights(starts: list[int], states: int) -> np.ndarray:
    """(K, states) weight of each window's state at each 50 Hz position: linear ramps across overlaps."""
    per_window = WINDOW_FRAMES // 2
    positions = np.arange(states, dtype=np.float64)
    weights = np.zeros((len(starts), states))
    for k, start in enumerate(s // 2 for s in starts):
        weight = ((positions >= start) & (positions < start + per_window)).astype(np.float64)
        if k > 0:  # fade in across the overlap with the previous window
            overlap = starts[k - 1] // 2 + per_window - start
            weight *= np.clip((positions - start + 0.5) / overlap, 0.0, 1.0)
        if k < len(starts) - 1:  # fade out across the overlap with the next window
            overlap = start + per_window - starts[k + 1] // 2
            weight *= np.clip((start + per_window - positions - 0.5) / overlap, 0.0, 1.0)
        weights[k] = weight
    return weights / np.maximum(weights.sum(0, keepdims=True), 1e-12)


def to_video_frames(states: np.ndarray, frames: int, first: int = 0, first_state: int = 0) -> np.ndarray:
    """(S, D) states at 50 Hz → (frames − first, D) at 60 fps, linearly interpolated at the centre of video
    frames ``first`` to ``frames``; ``states[0]`` is state number ``first_state`` (a window's first)."""
    count = max(0, frames - first)
    if len(states) == 0:
        return np.zeros((count, states.shape[1]), np.float32)
    position = (np.arange(first, first + count) + 0.5) * STATES_PER_SECOND / FPS - first_state
    position = np.clip(position, 0, len(states) - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, len(states) - 1)
    weight = (position - low)[:, None]
    return (states[low] * (1 - weight) + states[high] * weight).astype(np.float32)


@torch.inference_mode()
def speech_states(encoder: SpeechEncoder, audio: np.ndarray | torch.Tensor) -> np.ndarray:
    """(N,) float 16 kHz audio → (T, D) float32 encoder states at 60 fps, T = num_video_frames(N)."""
    audio = torch.as_tensor(np.asarray(audio, np.float32)).flatten()
    frames = num_video_frames(audio.numel())
    mel = whisper_log_mel(audio)
    if frames == 0 or mel.shape[1] == 0:
        return np.zeros((frames, encoder.config.width), np.float32)
    padding = max(float(mel.max()) - DYNAMIC_RANGE / 4.0, SILENT_LOG_MEL)  # the clamp floor, scaled
    starts = window_starts(mel.shape[1])
    states = -(-mel.shape[1] // 2)
    weights = crossfade_weights(starts, states)
    dtype = next(encoder.parameters()).dtype
    total = np.zeros((states, encoder.config.width), np.float64)
    for k, start in enumerate(starts):
        window = mel[:, start : start + WINDOW_FRAMES]
        window = torch.nn.functional.pad(window, (0, WINDOW_FRAMES - window.shape[1]), value=padding)
        output = encoder(window[None].to(dtype))[0].float().numpy()
        first = start // 2
        span = min(len(output), states - first)
        total[first : first + span] += weights[k, first : first + span, None] * output[:span]
    return to_video_frames(total, frames)
