"""Train the mouth and eye generator (paper §3.2, L_me) with accelerate.

    accelerate launch train/train_motion.py --config train/configs/motion.yaml
    accelerate launch --num_processes 2 --cpu train/train_motion.py --config ...   # same script
    python train/train_motion.py --config ... --set steps=2 batch_size=2          # quick overrides

Reads clips made by train/preprocess.py, holds out the speakers of the split file, keeps the weights
with the best validation mouth correlation and writes them in the Hub layout,
``<output>/mouth_eye_generator/{config.json, model.safetensors, loudness_baseline.safetensors}``.
Checkpoints go to ``<output>/checkpoints``; ``--resume`` continues from the last one.
"""

from dataclasses import dataclass, field

import numpy as np
import torch
from common import finish_run, start_run, train_loop
from safetensors.numpy import save_file

from stylehead.audio.inputs import input_dim
from stylehead.evaluation.lipsync import LoudnessBaseline, score_clip, summarise
from stylehead.face.landmarks import MOUTH
from stylehead.face.rest_shape import displacements
from stylehead.motion.data import LOWER_JAW
from stylehead.motion.mouth_eye_generator import (
    MouthEyeGenerator,
    MouthEyeGeneratorConfig,
    concordance_loss,
    motion_loss,
    principal_motions,
)
from stylehead.motion.training_data import MotionWindows, attach_apc


@dataclass
class TrainMotionConfig:
    """Everything a mouth and eye generator training run needs."""

    data: str = "runs/data"  # folder of preprocessed clips
    output: str = "runs/motion"  # weights, checkpoints and the training log
    split: str = "train/configs/split.yaml"  # validation speakers
    features: tuple[str, ...] = ("speech",)  # audio inputs: speech (Whisper states), phones, mel, apc
    apc_weights: str | None = None  # folder of an APCEncoder, needed when "apc" is a feature
    projection: float = 0.0  # manifold projection blend for APC features (0 = off)
    steps: int = 1500  # optimiser steps
    batch_size: int = 16
    window: int = 240  # frames per training window (4 s, as LSP)
    stride: int = 30  # frames between window starts
    stretch: float = 0.15  # speaking-rate augmentation: windows resampled by a factor in 1 ± stretch
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    ema_decay: float = 0.995  # weight averaging (0 = off): the average is validated and saved
    eval_every: int = 150  # steps between validations and checkpoints
    loss: str = "squared"  # L_me's norm: "squared" (the paper's eq. 2) or "absolute" (learns the median motion)
    concordance_weight: float = 0.0  # weight of concordance_loss (0 = L_me alone): a mouth that moves as much
    concordance_components: int = 3  # main directions of mouth and jaw motion the concordance is taken along
    silence: float = 0.05  # share of training windows that are silence (digital, or a faint noise floor), mouth at rest
    speech_encoder: str = "stylehead/weights/speech_encoder"  # encodes the silence (the encoder preprocess.py used)
    feature_noise: float = 0.0  # Gaussian noise added to the inputs, in units of each feature's batch std (0 = off)
    time_masks: int = 0  # spans per window whose inputs are replaced by the window's mean (SpecAugment-like)
    time_mask_frames: int = 12  # longest masked span (frames)
    seed: int = 0
    model: dict = field(default_factory=dict)  # overrides of MouthEyeGeneratorConfig fields


def main() -> None:
    run = start_run(TrainMotionConfig, __doc__, "mouth_eye_generator")
    config, args, accelerator, output, target = run.config, run.args, run.accelerator, run.output, run.target
    train_clips, val_clips = run.clips()
    if "apc" in config.features:
        attach_apc(train_clips + val_clips, config.apc_weights, config.projection, database_clips=train_clips)
    speech_size = train_clips[0].speech.shape[1] if "speech" in config.features else 384
    model_config = MouthEyeGeneratorConfig(
        input_dim=input_dim(config.features, speech_size=speech_size), features=config.features, **config.model
    )
    model = MouthEyeGenerator(model_config)
    windows = MotionWindows(train_clips, config.features, model_config.points, config.window, config.stride,
                            config.stretch, config.seed)  # fmt: skip
    basis, share = mouth_motion_basis(windows, model_config.points, config.concordance_components)
    accelerator.print(f"main mouth and jaw motions: {', '.join(f'{100 * x:.0f}%' for x in share)} of their variance")
    if config.silence > 0 and "apc" not in config.features:  # (APC features of silence would need the encoder here)
        windows.add_silence(silent_inputs(config), config.silence, len(model_config.points))
    loader = torch.utils.data.DataLoader(windows, batch_size=config.batch_size, shuffle=True, drop_last=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)

    def loss_fn(wrapped, batch):
        features, motion, mask = batch
        features = augment_features(features, config.feature_noise, config.time_masks, config.time_mask_frames)
        predicted = wrapped(features)
        delay, scale = model_config.delay, model_config.target_scale
        loss = motion_loss(predicted, motion, mask, delay, scale, config.loss)
        # the concordance is about how speech moves the mouth: silent windows (targets exactly at rest) only
        # count in L_me, or matching the spread between silence and speech would be enough to score well
        speech = motion.flatten(1).abs().amax(1) > 0
        if config.concordance_weight > 0 and speech.any():
            loss = loss + config.concordance_weight * concordance_loss(predicted[speech], motion[speech], mask[speech],
                                                                       delay, basis.to(predicted.device))  # fmt: skip
        return loss

    def validate(unwrapped):
        rows = []
        for clip in val_clips:
            motion = unwrapped.generate(clip.inputs(config.features)).numpy()
            rows.append(score_clip(motion, clip.rest, model_config.points, clip.face_points, clip.valid))
        return summarise(rows)

    state = train_loop(
        accelerator, model, optimizer, loader, loss_fn, validate, lambda m: m.save_pretrained(target),
        steps=config.steps, eval_every=config.eval_every, output=output, resume=args.resume,
        score_key="mouth_corr", higher_is_better=True, name="mouth_eye_generator", ema_decay=config.ema_decay,
    )  # fmt: skip
    if accelerator.is_main_process:
        baseline = LoudnessBaseline.fit(
            [c.loudness for c in train_clips],
            [displacements(c.face_points, c.rest, model_config.points) for c in train_clips],
        )
        save_file({"coefficients": baseline.coefficients}, str(target / "loudness_baseline.safetensors"))
        finish_run(config, state, output, target, MouthEyeGenerator, args.push_to_hub, "mouth_corr",
                   train_clips=[c.name for c in train_clips], validation_clips=[c.name for c in val_clips])  # fmt: skip


SILENT_LEVELS = (0.0, 1e-4, 1e-3)  # RMS of the silent recordings: digital silence, -80 and -60 dBFS of noise


def silent_inputs(config: TrainMotionConfig) -> list[torch.Tensor]:
    """(T, D) features of 30 s of each silent level, as the generator reads them."""
    from stylehead.audio.inputs import audio_features, stack_inputs
    from stylehead.audio.speech_encoder import SpeechEncoder
    from stylehead.safe_loading import load_component

    encoder = load_component(SpeechEncoder, config.speech_encoder).float() if "speech" in config.features else None
    rng = np.random.default_rng(config.seed)
    inputs = []
    for level in SILENT_LEVELS:
        audio = (level * rng.standard_normal(30 * 16_000)).astype(np.float32)
        inputs.append(stack_inputs(config.features, audio_features(audio, config.features, speech_encoder=encoder)))
    return inputs


def augment_features(features: torch.Tensor, noise: float, masks: int, mask_frames: int) -> torch.Tensor:
    """(B, L, D) training inputs with Gaussian noise and ``masks`` spans per window set to the window's mean."""
    if noise > 0:
        features = features + noise * features.std((0, 1), keepdim=True) * torch.randn_like(features)
    if masks > 0:
        batch, length, _ = features.shape
        spans = torch.randint(1, mask_frames + 1, (batch, masks))
        starts = (torch.rand(batch, masks) * (length - spans)).long()
        frames = torch.arange(length)
        hidden = ((frames[None, None] >= starts[..., None]) & (frames[None, None] < (starts + spans)[..., None])).any(1)
        features = torch.where(hidden[..., None], features.mean(1, keepdim=True), features)
    return features


def mouth_motion_basis(windows: MotionWindows, points: tuple[int, ...], count: int
                       ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """(count, P·3) main directions of the training targets' mouth and jaw motion (zero on the eyes), and their
    shares of that motion's variance."""
    coordinates = torch.tensor([3 * i + axis for i, point in enumerate(points) if point in MOUTH + LOWER_JAW
                                for axis in range(3)])  # fmt: skip
    samples = torch.cat([target.flatten(1)[mask][:, coordinates] for _, target, mask in windows.clips])
    directions, share = principal_motions(samples, count)
    basis = torch.zeros(count, 3 * len(points))
    basis[:, coordinates] = directions
    return basis, share


if __name__ == "__main__":
    main()
