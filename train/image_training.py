"""What the two image-generator trainings share (imported as a sibling module): data, the GAN loop, validation.

Both train a residual U-Net (``stylehead.render.generator``) against a multi-scale PatchGAN with
the paper's generator loss (``stylehead.render.generator_losses``) on the self-reenactment samples of
``train/prepare_render_data.py``:

- ``generator`` (the Style-Aware Generator): input = facial map of a target frame + the clip's
  source crop + its four ISPs; output = the target frame.
- ``style_mapping`` (Style Mapping's intermediate generator): input = facial map of a reference
  frame + the source warped onto it; output = the real reference frame.

accelerate's pattern (``prepare`` → ``backward`` → ``step``), two optimisers (Adam, β1 0.5),
checkpoints with ``save_state`` every ``eval_every`` steps (``--resume``), mixed precision when
launched with ``--mixed_precision bf16``; validation on the held-out speakers keeps the generator
with the lowest mouth-region L1 and logs the loss curves to ``training_log.json``.
"""

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from common import Run, finish_run
from tqdm.auto import tqdm

from stylehead.evaluation.image_metrics import face_and_mouth_scores, mean_scores
from stylehead.media.image import decode_jpeg
from stylehead.render import generator_losses as losses
from stylehead.render.discriminator import DiscriminatorConfig, MultiscaleDiscriminator
from stylehead.render.generator import GeneratorConfig, StyleAwareGenerator
from stylehead.render.neural_inputs import (
    generator_input,
    mapping_input,
    region_masks,
    region_weights,
    to_uint8,
    to_unit,
)


@dataclass
class ImageTrainingConfig:
    """Everything a Style-Aware Generator or Style Mapping training run needs."""

    data: str = "runs/render_data"  # folder with train/ and validation/ from train/prepare_render_data.py
    output: str = "runs/generator"  # weights, checkpoints and the training log
    steps: int = 3000  # optimiser steps (each a discriminator and a generator update)
    max_minutes: float | None = None  # also stop after this long (this invocation); the learning rate's
    # cosine decay follows whichever of steps and time runs out first
    batch_size: int = 8  # the paper's batch for the Style-Aware Generator
    learning_rate: float = 2e-4  # generator and discriminator (the paper: 1e-5 fine-tuning a pretrained
    # generator; LSP trains from scratch at 1e-4; we train from scratch with far fewer steps)
    beta1: float = 0.5  # Adam β1, as pix2pix and LSP
    lambda_gan: float = 1.0
    lambda_l1: float = 100.0  # λ_pw
    lambda_perceptual: float = 10.0  # λ_P
    lambda_feature: float = 1.0  # λ_F
    lambda_photometric: float = 1.0  # weight of the style-aware photometric loss L_sp
    perceptual: str = "discriminator"  # "discriminator" or "vgg19" (needs vgg19_weights)
    vgg19_weights: str | None = None  # torchvision-layout VGG19 weights as .safetensors
    flip: bool = True  # mirror samples left-right at random
    eval_every: int = 250  # steps between validations and checkpoints
    validation_samples: int = 64  # held-out samples scored at each validation
    seed: int = 0
    workers: int = 2  # data-loader processes
    model: dict = field(default_factory=dict)  # overrides of GeneratorConfig fields
    discriminator: dict = field(default_factory=dict)  # overrides of DiscriminatorConfig fields


@dataclass
class ClipSamples:
    """One prepared clip, decoded."""

    name: str
    source: np.ndarray  # (S, S, 3) uint8
    patterns: np.ndarray  # (4, S, S, 3)
    references: np.ndarray  # (4, S, S, 3)
    reference_landmarks: np.ndarray  # (4, 68, 2)
    warped: np.ndarray  # (4, S, S, 3)
    targets: np.ndarray  # (N, S, S, 3)
    target_landmarks: np.ndarray  # (N, 68, 2)

    @classmethod
    def load(cls, path: Path) -> "ClipSamples":
        data = np.load(path, allow_pickle=False)
        count = len(data["target_frames"])

        def images(prefix: str, n: int) -> np.ndarray:
            return np.stack([decode_jpeg(data[f"{prefix}_{k}"]) for k in range(n)])

        return cls(path.stem, decode_jpeg(data["source"]), images("pattern", 4), images("reference", 4),
                   data["reference_landmarks"], images("warped", 4), images("target", count),
                   data["target_landmarks"])  # fmt: skip


def load_split(folder: Path) -> list[ClipSamples]:
    files = sorted(folder.glob("*.npz"))
    if not files:
        raise SystemExit(f"no prepared clips in {folder}; run train/prepare_render_data.py first")
    return [ClipSamples.load(path) for path in files]


def sample_items(clips: list[ClipSamples], task: str) -> list[tuple[int, int]]:
    """(clip, item) pairs: every target frame (generator) or every reference frame (style mapping)."""
    if task == "generator":
        return [(c, n) for c, clip in enumerate(clips) for n in range(len(clip.targets))]
    return [(c, k) for c, clip in enumerate(clips) for k in range(4)]


def make_sample(clip: ClipSamples, item: int, task: str) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """(input (C, S, S), target (3, S, S), target landmarks (68, 2)) in [−1, 1]."""
    if task == "generator":
        landmarks = clip.target_landmarks[item]
        return generator_input(landmarks, clip.source, clip.patterns), to_unit(clip.targets[item]), landmarks
    landmarks = clip.reference_landmarks[item]
    return mapping_input(landmarks, clip.warped[item]), to_unit(clip.references[item]), landmarks


class ImageSamples(torch.utils.data.Dataset):
    """Training samples of one task; mirrored at random when ``flip`` (torch's generator, seeded per worker)."""

    def __init__(self, clips: list[ClipSamples], task: str, flip: bool):
        self.clips, self.task, self.flip = clips, task, flip
        self.items = sample_items(clips, task)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        c, item = self.items[index]
        inputs, target, landmarks = make_sample(self.clips[c], item, self.task)
        weights = torch.from_numpy(region_weights(landmarks, target.shape[-1]))[None]
        if self.flip and torch.rand(()) < 0.5:
            inputs, target, weights = inputs.flip(-1), target.flip(-1), weights.flip(-1)
        return inputs, target, weights


def build_models(config: ImageTrainingConfig, task: str) -> tuple[StyleAwareGenerator, MultiscaleDiscriminator]:
    defaults = {} if task == "generator" else {"in_channels": 4, "channels": (32, 64, 128, 256, 256, 256)}
    model_config = GeneratorConfig(**{**defaults, **config.model})
    discriminator_config = DiscriminatorConfig(in_channels=model_config.in_channels + 3, **config.discriminator)
    return StyleAwareGenerator(model_config), MultiscaleDiscriminator(discriminator_config)


@torch.no_grad()
def validate(generator: StyleAwareGenerator, clips: list[ClipSamples], task: str, count: int,
             device: torch.device) -> dict[str, float]:  # fmt: skip
    """Mean L1 / PSNR / SSIM over the face and the mouth of ``count`` held-out samples (evenly picked)."""
    items = sample_items(clips, task)
    picks = [items[i] for i in np.linspace(0, len(items) - 1, min(count, len(items))).round().astype(int)]
    rows = []
    for c, item in picks:
        inputs, target, landmarks = make_sample(clips[c], item, task)
        fake = to_uint8(generator(inputs[None].to(device))[0])
        real = to_uint8(target)
        rows.append(face_and_mouth_scores(fake, real, region_masks(landmarks, real.shape[0])))
    return mean_scores(rows)


def train(run: Run, task: str) -> None:
    """Train the ``task``'s generator with the paper's GAN losses; save the best by mouth L1."""
    config, accelerator, output, target = run.config, run.accelerator, run.output, run.target
    train_clips = load_split(Path(config.data) / "train")
    val_clips = load_split(Path(config.data) / "validation")
    generator, discriminator = build_models(config, task)
    if config.perceptual not in ("discriminator", "vgg19"):
        raise SystemExit(f"perceptual must be discriminator or vgg19, not {config.perceptual!r}")
    if config.perceptual == "vgg19" and not config.vgg19_weights:
        raise SystemExit("perceptual: vgg19 needs vgg19_weights (torchvision-layout VGG19 as .safetensors)")
    vgg = losses.VGG19Features(config.vgg19_weights) if config.perceptual == "vgg19" else None
    dataset = ImageSamples(train_clips, task, config.flip)
    loader = torch.utils.data.DataLoader(dataset, batch_size=config.batch_size, shuffle=True, drop_last=True,
                                         num_workers=config.workers, persistent_workers=config.workers > 0)  # fmt: skip
    betas = (config.beta1, 0.999)
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=config.learning_rate, betas=betas)
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=config.learning_rate, betas=betas)
    clock = {"start": time.perf_counter(), "step": 0}

    def progress() -> float:
        """How far training is, 0 → 1: by steps, or by time when ``max_minutes`` runs out first."""
        by_steps = clock["step"] / max(config.steps, 1)
        if config.max_minutes is None:
            return by_steps
        return max(by_steps, (time.perf_counter() - clock["start"]) / (60 * config.max_minutes))

    def cosine(_: int) -> float:
        return 0.5 * (1 + math.cos(math.pi * min(progress(), 1.0)))

    schedule_g = torch.optim.lr_scheduler.LambdaLR(optimizer_g, cosine)
    schedule_d = torch.optim.lr_scheduler.LambdaLR(optimizer_d, cosine)
    generator, discriminator, optimizer_g, optimizer_d, loader, schedule_g, schedule_d = accelerator.prepare(
        generator, discriminator, optimizer_g, optimizer_d, loader, schedule_g, schedule_d
    )
    if vgg is not None:
        vgg = vgg.to(accelerator.device)
    checkpoints = output / "checkpoints"
    state = {"step": 0, "best": None, "history": [], "curve": []}
    if run.args.resume and (checkpoints / "trainer.json").exists():
        accelerator.load_state(str(checkpoints))
        state = json.loads((checkpoints / "trainer.json").read_text())
        accelerator.print(f"resumed at step {state['step']}")
    clock["step"] = state["step"]
    bar = tqdm(
        total=config.steps,
        initial=state["step"],
        disable=not accelerator.is_main_process or os.environ.get("TQDM_DISABLE") == "1",
        desc=task,
    )
    running: dict[str, list[float]] = {}
    started, samples = time.perf_counter(), 0
    done = state["step"] >= config.steps
    while not done:
        for inputs, real, weights in loader:
            terms = _step(config, generator, discriminator, optimizer_g, optimizer_d, inputs, real, weights, vgg,
                          accelerator)  # fmt: skip
            schedule_g.step()
            schedule_d.step()
            for key, value in terms.items():
                running.setdefault(key, []).append(value)
            state["step"] += 1
            clock["step"] = state["step"]
            samples += len(inputs) * accelerator.num_processes
            bar.update(1)
            bar.set_postfix(g=f"{terms['g_total']:.3f}", d=f"{terms['d']:.3f}")
            done = progress() >= 1.0
            if config.max_minutes is not None:  # every process must stop at the same step
                done = bool(accelerator.gather(torch.tensor([done], device=accelerator.device)).any())
            if state["step"] % 25 == 0 or done:  # the loss curve, averaged over 25 steps
                state["curve"].append({"step": state["step"], **{k: float(np.mean(v)) for k, v in running.items()}})
                running = {}
            if state["step"] % config.eval_every == 0 or done:
                throughput = samples / (time.perf_counter() - started)
                _checkpoint(run, task, generator, val_clips, state, checkpoints, throughput)
            if done:
                break
    bar.close()
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        write_card(target, task, state, train_clips, val_clips, str(accelerator.device), accelerator.mixed_precision)
        finish_run(config, state, output, target, StyleAwareGenerator, run.args.push_to_hub, "mouth_l1",
                   task=task, train_clips=[c.name for c in train_clips], validation_clips=[c.name for c in val_clips],
                   curve=state["curve"], device=str(accelerator.device),
                   mixed_precision=accelerator.mixed_precision)  # fmt: skip


def _halves(outputs: list[list[torch.Tensor]]) -> tuple[list[list[torch.Tensor]], list[list[torch.Tensor]]]:
    first = [[layer[: len(layer) // 2] for layer in scale] for scale in outputs]
    second = [[layer[len(layer) // 2 :] for layer in scale] for scale in outputs]
    return first, second


def _step(config, generator, discriminator, optimizer_g, optimizer_d, inputs, real, weights, vgg, accelerator):
    """One discriminator and one generator update. Each network runs forward once per update (DDP-safe)."""
    fake = generator(inputs)
    # Discriminator: real (input, frame) pairs → 1, generated → 0, in one batch.
    pairs = torch.cat([torch.cat([inputs, real], dim=1), torch.cat([inputs, fake.detach()], dim=1)])
    d_real, d_fake = _halves(discriminator(pairs))
    loss_d = 0.5 * (losses.lsgan(d_real, True) + losses.lsgan(d_fake, False))
    optimizer_d.zero_grad(set_to_none=True)
    accelerator.backward(loss_d)
    optimizer_d.step()
    # Generator: fool the discriminator, match the frame, its features and its weighted regions. The
    # discriminator's gradients from this pass are cleared before its next update.
    d_real = [[layer.detach() for layer in scale] for scale in d_real]
    d_fake = discriminator(torch.cat([inputs, fake], dim=1))
    if vgg is not None:
        perceptual = losses.perceptual(vgg, fake.float(), real.float(), losses.VGG_TAP_WEIGHTS)
    else:  # the finest scale's layers
        pairs = zip(d_fake[0][:-1], d_real[0][:-1], strict=True)
        perceptual = torch.stack([torch.nn.functional.l1_loss(a, b) for a, b in pairs]).mean()
    terms = {
        "g_gan": losses.lsgan(d_fake, True),
        "g_l1": torch.nn.functional.l1_loss(fake, real),
        "g_perceptual": perceptual,
        "g_feature": losses.feature_matching(d_fake, d_real),
        "g_photometric": losses.photometric(fake, real, weights),
    }
    total = (config.lambda_gan * terms["g_gan"] + config.lambda_l1 * terms["g_l1"]
             + config.lambda_perceptual * terms["g_perceptual"] + config.lambda_feature * terms["g_feature"]
             + config.lambda_photometric * terms["g_photometric"])  # fmt: skip
    optimizer_g.zero_grad(set_to_none=True)
    accelerator.backward(total)
    accelerator.clip_grad_norm_(generator.parameters(), 10.0)
    optimizer_g.step()
    return {"d": loss_d.item(), "g_total": total.item(), **{k: v.item() for k, v in terms.items()}}


def _checkpoint(run: Run, task: str, generator, val_clips, state: dict, checkpoints: Path, throughput: float) -> None:
    accelerator = run.accelerator
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        model = accelerator.unwrap_model(generator)
        model.eval()
        scores = validate(model, val_clips, task, run.config.validation_samples, accelerator.device)
        model.train()
        state["history"].append({"step": state["step"], "samples_per_second": throughput, **scores})
        accelerator.print(f"step {state['step']}: {throughput:.1f} samples/s, face L1 {scores['face_l1']:.2f} "
                          f"PSNR {scores['face_psnr']:.2f} SSIM {scores['face_ssim']:.3f}, mouth L1 "
                          f"{scores['mouth_l1']:.2f} PSNR {scores['mouth_psnr']:.2f}", flush=True)  # fmt: skip
        if state["best"] is None or scores["mouth_l1"] < state["best"]:
            state["best"] = scores["mouth_l1"]
            model.save_pretrained(run.target)
    accelerator.save_state(str(checkpoints))
    if accelerator.is_main_process:
        (checkpoints / "trainer.json").write_text(json.dumps(state))


def write_card(target: Path, task: str, state: dict, train_clips: list[ClipSamples], val_clips: list[ClipSamples],
               device: str, precision: str) -> Path:  # fmt: skip
    """The weights' model card: what they are, the data they saw, and what they reach on held-out speakers."""
    best = min(state["history"], key=lambda row: row["mouth_l1"])
    what = {
        "generator": "the Style-Aware Generator (paper §4.3): facial map + source + four ISPs → frame",
        "style_mapping": "Style Mapping's intermediate generator (paper §4.2): warped frame → frame",
    }[task]
    scores = ", ".join(f"{key} {best[key]:.3f}" for key in ("face_l1", "face_psnr", "face_ssim", "mouth_l1",
                                                             "mouth_psnr", "mouth_ssim"))  # fmt: skip
    card = f"""---
library_name: stylehead
tags: [stylehead, talking-head]
---
# stylehead: {task}

{what}. Trained by `train/train_{task}.py` (self-reenactment, 256 px crops) for {state["step"]} steps
on {device} ({precision} precision); the weights kept are those of step {best["step"]}, the best by
held-out mouth L1.

- Training clips ({len(train_clips)}): {", ".join(c.name for c in train_clips)}
- Held-out speakers ({len(val_clips)}): {", ".join(c.name for c in val_clips)}
- Held-out scores (grey levels, dB, SSIM; face and mouth regions): {scores}

The clips are those of stylehead's `../shared/data/train` (see its README for sources and licences).
Compare with the warp renderer before using these: `python -m stylehead evaluate renderer`.
"""
    path = target / "README.md"
    path.write_text(card)
    return path
