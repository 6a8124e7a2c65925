"""Assembling the per-frame audio input of the motion models from the available features.

Every feature is aligned to stylehead's 60-fps frames. 120 Hz features (log-mel, APC) put their two
frames for each video frame side by side, as LSP does (2 × 512 = 1024 for APC); the speech encoder's
states are resampled to 60 fps when they are made (:mod:`stylehead.audio.speech_features`).
"""

import numpy as np
import torch

from stylehead.audio.features import MEL_PER_FRAME, N_MELS, log_mel
from stylehead.audio.phones import PHONES, phone_features
from stylehead.audio.speech_features import speech_states

FEATURE_DIMS = {"phones": len(PHONES), "mel": MEL_PER_FRAME * N_MELS, "apc": MEL_PER_FRAME * 512, "speech": 384}


def input_dim(features: tuple[str, ...], apc_size: int = 512, speech_size: int = 384) -> int:
    """Width of the stacked input for these feature names."""
    dims = dict(FEATURE_DIMS, apc=MEL_PER_FRAME * apc_size, speech=speech_size)
    unknown = set(features) - set(dims)
    if unknown:
        raise ValueError(f"unknown audio features {sorted(unknown)}; choose from {sorted(dims)}")
    return sum(dims[name] for name in features)


def audio_features(audio: np.ndarray, needed: set[str] | tuple[str, ...], apc=None, speech_encoder=None
                   ) -> dict[str, np.ndarray]:  # fmt: skip
    """The features named in ``needed`` (log-mel always), computed once from (N,) float32 16 kHz audio:
    mel (2T, 80), phones (T, 40), apc (2T, H) with the ``apc`` encoder, speech (T, D) with ``speech_encoder``."""
    features = {"mel": log_mel(torch.from_numpy(audio)).numpy()}
    if "phones" in needed:
        features["phones"] = phone_features(audio)
    if "apc" in needed:
        features["apc"] = apc.encode(torch.from_numpy(features["mel"])).numpy()
    if "speech" in needed:
        features["speech"] = speech_states(speech_encoder, audio)
    return features


def stack_inputs(features: tuple[str, ...], available: dict[str, np.ndarray | torch.Tensor]) -> torch.Tensor:
    """(T, D) float32 input: the named features, 120 Hz ones folded two frames per row.

    ``available`` maps names to arrays: ``phones`` (T, 40), ``mel`` (2T, 80), ``apc`` (2T, H), ``speech`` (T, D).
    """
    parts = []
    for name in features:
        value = torch.as_tensor(np.asarray(available[name]) if not torch.is_tensor(available[name])
                                else available[name]).float()  # fmt: skip
        if name in ("mel", "apc"):
            value = value[: len(value) // MEL_PER_FRAME * MEL_PER_FRAME].reshape(-1, MEL_PER_FRAME * value.shape[-1])
        parts.append(value)
    count = min(len(p) for p in parts)
    return torch.cat([p[:count] for p in parts], dim=1)
