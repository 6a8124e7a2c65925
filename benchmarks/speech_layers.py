"""Which speech features carry articulation to unseen speakers: Whisper's layers against log-mel and phones.

    python train/convert_speech_encoder.py --output runs/speech_encoder_full --layers 4
    python benchmarks/speech_layers.py --encoder runs/speech_encoder_full --data runs/data \
        --clips ../shared/data/train --split train/configs/experiments/dev_split.yaml

For each feature, a ridge regression from ±3 frames of context to the mouth opening (inner-lip gap
over the interocular distance, 60 fps) is fitted on the training clips outside the split's held-out
speakers and outside ``--exclude`` (the validation speakers, which no choice may look at), then
scored on the held-out clips: mean Pearson r over clips, its minimum, and the generated/real spread
of the opening (median over clips). A linear probe: it ranks what the features make easy to read,
the generator then learns more. Also the encoder's time for a 30 s window with each depth.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from stylehead.audio.speech_encoder import SpeechEncoder, whisper_log_mel
from stylehead.audio.speech_features import speech_states
from stylehead.correlation import pearson
from stylehead.face.landmarks import mouth_opening
from stylehead.media import VIDEO_SUFFIXES, read_audio
from stylehead.motion.speaker_split import load_split
from stylehead.motion.training_data import load_clips
from stylehead.safe_loading import load_component

CONTEXT = 3  # frames each side
RIDGE = 10.0


def with_context(features: np.ndarray) -> np.ndarray:
    """(T, D) → (T, (2·CONTEXT + 1)·D), edges repeated."""
    padded = np.concatenate([features[:1].repeat(CONTEXT, 0), features, features[-1:].repeat(CONTEXT, 0)])
    return np.concatenate([padded[i : i + len(features)] for i in range(2 * CONTEXT + 1)], axis=1)


def layer_outputs(encoder: SpeechEncoder, audio: np.ndarray) -> dict[str, np.ndarray]:
    """States after each block (and after the final norm) at 60 fps, one encoder pass per depth."""
    blocks, norm = encoder.blocks, encoder.final_norm
    outputs = {}
    try:
        encoder.final_norm = None
        for depth in range(1, len(blocks) + 1):
            encoder.blocks = blocks[:depth]
            outputs[f"whisper layer {depth}"] = speech_states(encoder, audio)
        encoder.final_norm = norm
        outputs[f"whisper layer {len(blocks)} + norm"] = speech_states(encoder, audio)
    finally:
        encoder.blocks, encoder.final_norm = blocks, norm
    return outputs


def probe(features: dict[str, list[np.ndarray]], targets: list[np.ndarray], train: list[int], test: list[int]
          ) -> dict[str, tuple[float, float, float]]:  # fmt: skip
    """Per feature: (mean r, min r, median spread ratio) on ``test`` of a ridge fitted on ``train``."""
    scores = {}
    for name, per_clip in features.items():
        inputs = [with_context(x) for x in per_clip]
        mean = np.concatenate([inputs[i] for i in train]).mean(0)
        std = np.concatenate([inputs[i] for i in train]).std(0) + 1e-6
        design = np.concatenate([(inputs[i] - mean) / std for i in train])
        target = np.concatenate([targets[i] for i in train])
        offset = target.mean()
        gram = design.T @ design + RIDGE * len(design) / 1000 * np.eye(design.shape[1])
        weights = np.linalg.solve(gram, design.T @ (target - offset))
        rs, ratios = [], []
        for i in test:
            predicted = (inputs[i] - mean) / std @ weights + offset
            rs.append(pearson(predicted, targets[i]))
            ratios.append(predicted.std() / max(targets[i].std(), 1e-9))
        scores[name] = (float(np.mean(rs)), float(np.min(rs)), float(np.median(ratios)))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", type=Path, required=True, help="a 4-block speech_encoder folder")
    parser.add_argument("--data", type=Path, default=Path("runs/data"), help="train/preprocess.py's output")
    parser.add_argument("--clips", type=Path, default=Path("../shared/data/train"), help="the videos (for audio)")
    parser.add_argument("--split", type=Path, default=Path("train/configs/experiments/dev_split.yaml"))
    parser.add_argument("--exclude", type=Path, default=Path("train/configs/split.yaml"),
                        help="a split whose held-out speakers are neither fitted nor scored")  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(2)
    encoder = load_component(SpeechEncoder, args.encoder).float()
    split, excluded = load_split(args.split), load_split(args.exclude)
    videos = {p.stem: p for p in args.clips.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES}
    clips = [c for c in load_clips(args.data) if not excluded.is_held_out(c.name)]
    features: dict[str, list[np.ndarray]] = {}
    targets = []
    for clip in clips:
        audio = read_audio(videos[clip.name])
        named = {"log-mel (LSP)": clip.inputs(("mel",)).numpy(), "phones (pocketsphinx)": clip.phones,
                 **layer_outputs(encoder, audio)}  # fmt: skip
        count = min(len(clip), *(len(x) for x in named.values()))
        for name, values in named.items():
            features.setdefault(name, []).append(np.asarray(values[:count], np.float64)[clip.valid[:count]])
        targets.append(mouth_opening(clip.face_points[:count][clip.valid[:count]]))
    train = [i for i, c in enumerate(clips) if not split.is_held_out(c.name)]
    test = [i for i, c in enumerate(clips) if split.is_held_out(c.name)]
    print(f"fitted on {len(train)} clips, scored on {len(test)} clips of {len(split.held_out)} held-out speakers")
    print(f"{'features':28s} {'mean r':>7s} {'min r':>7s} {'spread':>7s}")
    for name, (mean_r, min_r, ratio) in probe(features, targets, train, test).items():
        print(f"{name:28s} {mean_r:7.3f} {min_r:7.3f} {ratio:7.2f}")
    mel = whisper_log_mel(torch.zeros(30 * 16_000))[None]
    blocks = encoder.blocks
    for depth in range(1, len(blocks) + 1):
        encoder.blocks = blocks[:depth]
        with torch.inference_mode():
            encoder(mel)
            start = time.perf_counter()
            encoder(mel)
        print(f"encoder with {depth} block(s): {time.perf_counter() - start:.2f} s per 30 s window")


if __name__ == "__main__":
    main()
