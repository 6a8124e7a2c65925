"""Turn a folder of talking-face videos into per-clip training files at 60 fps.

For every video with sound: track the face (68 landmarks + head pose, smoothed), resample the track
to stylehead's 60 fps, lift the landmarks into the face frame (millimetres, pose removed), and
compute the audio inputs (LSP log-mel at 120 Hz, pocketsphinx phone one-hots, the speech encoder's
states and RMS loudness at 60 fps). Each clip becomes ``<output>/<clip>.npz``:

    face_points (T, 68, 3) float32 face-frame mm    pose (T, 6) float32 (rotation vector, mm)
    valid (T,) bool                                  mel (2T, 80) float32
    phones (T, 40) float32                           loudness (T,) float32 RMS
    speech (T, D) float16 speech encoder states     source_fps () float32

A clip that already has a file is skipped, unless its speech states are missing or were made by
another encoder (then only they are computed again, from the clip's sound).

Usage:
    python train/preprocess.py --clips ../shared/data/train --output runs/data \
        [--speech-encoder stylehead/weights/speech_encoder]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from stylehead.audio.features import log_mel
from stylehead.audio.phones import frame_rms, phone_features
from stylehead.audio.speech_encoder import SpeechEncoder
from stylehead.audio.speech_features import speech_states
from stylehead.errors import StyleheadError
from stylehead.hub import BUNDLED_WEIGHTS
from stylehead.media import VIDEO_SUFFIXES, read_audio
from stylehead.motion.real_clips import load_real_clip
from stylehead.safe_loading import load_component


def speech_arrays(encoder: SpeechEncoder, fingerprint: str, audio: np.ndarray, count: int) -> dict[str, np.ndarray]:
    """The speech encoder's states for ``count`` frames (float16: the encoder's own precision) and its id."""
    states = speech_states(encoder, audio)[:count]
    states = np.concatenate([states, np.repeat(states[-1:], count - len(states), axis=0)]) if len(states) else states
    return {"speech": states.astype(np.float16), "speech_encoder": np.array(fingerprint)}


def preprocess_clip(path: Path, encoder: SpeechEncoder, fingerprint: str) -> dict[str, np.ndarray]:
    clip = load_real_clip(path)
    return {
        "face_points": clip.face_points,
        "pose": clip.pose,
        "valid": clip.valid,
        "mel": log_mel(clip.audio).numpy(),
        "phones": phone_features(clip.audio),
        "loudness": frame_rms(clip.audio, len(clip.valid)),
        "source_fps": np.float32(clip.source_fps),
        **speech_arrays(encoder, fingerprint, clip.audio, len(clip.valid)),
    }


def encoder_fingerprint(folder: Path) -> str:
    import hashlib

    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, required=True, help="folder of talking-face videos with sound")
    parser.add_argument("--output", type=Path, required=True, help="folder for the per-clip .npz files")
    parser.add_argument("--overwrite", action="store_true", help="redo clips that already have a file")
    parser.add_argument("--speech-encoder", type=Path, default=BUNDLED_WEIGHTS / "speech_encoder",
                        help="a speech_encoder component folder")  # fmt: skip
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    encoder = load_component(SpeechEncoder, args.speech_encoder).float()
    fingerprint = encoder_fingerprint(args.speech_encoder)
    clips = sorted(p for p in args.clips.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    for index, clip in enumerate(clips, 1):
        target = args.output / f"{clip.stem}.npz"
        if target.exists() and not args.overwrite:
            with np.load(target) as data:
                arrays = dict(data)
            if str(arrays.get("speech_encoder", "")) != fingerprint:
                arrays.update(speech_arrays(encoder, fingerprint, read_audio(clip), len(arrays["valid"])))
                np.savez_compressed(target, **arrays)
                print(f"[{index}/{len(clips)}] {clip.name}: speech states computed")
            continue
        start = time.perf_counter()
        try:
            arrays = preprocess_clip(clip, encoder, fingerprint)
        except StyleheadError as err:
            print(f"[{index}/{len(clips)}] {clip.name}: skipped ({err})")
            continue
        np.savez_compressed(target, **arrays)
        share = 100 * arrays["valid"].mean()
        print(
            f"[{index}/{len(clips)}] {clip.name}: {len(arrays['valid'])} frames, {share:.0f}% valid, "
            f"{time.perf_counter() - start:.1f} s"
        )


if __name__ == "__main__":
    main()
