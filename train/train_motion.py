"""Train the mouth and eye generator (paper §3.2, L_me) with accelerate.

    accelerate launch train/train_motion.py --config train/configs/motion.yaml
    accelerate launch --num_processes 2 --cpu train/train_motion.py --config ...   # same script

Reads clips made by train/preprocess.py, holds out the speakers of train/configs/split.yaml, keeps
the weights with the best validation mouth correlation, and writes them in the Hub layout:
``<output>/mouth_eye_generator/{config.json, model.safetensors}`` plus the loudness baseline.
Resumable: checkpoints go to ``<output>/checkpoints`` and ``--resume`` continues from the last one.
"""

import argparse
import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import yaml
from accelerate import Accelerator
from accelerate.utils import set_seed
from safetensors.numpy import save_file
from tqdm.auto import tqdm

from stylehead.audio.inputs import input_dim
from stylehead.motion.lipsync_eval import LoudnessBaseline, score_clip, summarise
from stylehead.motion.mouth_eye_generator import (
    MOTION_POINTS,
    MouthEyeGenerator,
    MouthEyeGeneratorConfig,
    motion_loss,
)
from stylehead.motion.rest_shape import displacements
from stylehead.motion.training_data import MotionWindows, load_clips, split_clips


@dataclass
class TrainMotionConfig:
    """Everything a mouth and eye generator training run needs."""

    data: str = "runs/data"  # folder of preprocessed clips
    output: str = "runs/motion"  # where weights, checkpoints and the log go
    split: str = "train/configs/split.yaml"  # validation speakers
    features: tuple[str, ...] = ("phones",)  # audio inputs: phones, mel, apc
    apc_weights: str | None = None  # folder of an APCEncoder, needed when "apc" is a feature
    projection: float = 0.0  # manifold projection blend for APC features (0 = off)
    steps: int = 3000  # optimiser steps
    batch_size: int = 16
    window: int = 240  # frames per training window (4 s, as LSP)
    stride: int = 30  # frames between window starts
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    eval_every: int = 250  # steps between validations (and checkpoints)
    seed: int = 0
    model: dict = field(default_factory=dict)  # overrides of MouthEyeGeneratorConfig fields


def load_config(path: str | None, overrides: list[str]) -> TrainMotionConfig:
    values = yaml.safe_load(Path(path).read_text()) if path else {}
    for item in overrides:  # key=value, parsed as YAML
        key, _, raw = item.partition("=")
        values[key] = yaml.safe_load(raw)
    if "features" in values:
        values["features"] = tuple(values["features"])
    return TrainMotionConfig(**values)


def attach_apc(clips, weights: str, projection: float) -> None:
    from stylehead.audio.apc import APCEncoder

    encoder = APCEncoder.from_pretrained(weights, strict=True).eval()
    for clip in clips:
        clip.apc = encoder.encode(torch.from_numpy(clip.mel)).numpy()
    if projection > 0:
        from stylehead.audio.projection import project

        database = torch.from_numpy(np.concatenate([c.apc[::4] for c in clips]))
        for clip in clips:
            clip.apc = project(torch.from_numpy(clip.apc), database, blend=projection).numpy()


def validate(model: MouthEyeGenerator, clips, features) -> dict[str, float]:
    model.eval()
    rows = []
    for clip in clips:
        motion = model.generate(clip.inputs(features)).numpy()
        rows.append(score_clip(motion, clip.rest, model.config.points, clip.face_points, clip.valid))
    model.train()
    return summarise(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="YAML file with TrainMotionConfig fields")
    parser.add_argument("--set", nargs="*", default=[], help="overrides, e.g. steps=2 batch_size=2")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="also upload the weights to this Hub repo")
    args = parser.parse_args()
    config = load_config(args.config, args.set)
    accelerator = Accelerator()
    set_seed(config.seed)
    output = Path(config.output)

    clips = load_clips(Path(config.data))
    if "apc" in config.features:
        attach_apc(clips, config.apc_weights, config.projection)
    train_clips, val_clips = split_clips(clips, Path(config.split))
    model_config = MouthEyeGeneratorConfig(
        input_dim=input_dim(config.features), features=config.features, **config.model
    )
    model = MouthEyeGenerator(model_config)
    windows = MotionWindows(train_clips, config.features, model_config.points, config.window, config.stride)
    loader = torch.utils.data.DataLoader(windows, batch_size=config.batch_size, shuffle=True, drop_last=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, config.steps) / config.steps))
    )
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    checkpoints = output / "checkpoints"
    state = {"step": 0, "best": -2.0, "history": []}
    if args.resume and (checkpoints / "trainer.json").exists():
        accelerator.load_state(str(checkpoints))
        state = json.loads((checkpoints / "trainer.json").read_text())

    bar = tqdm(total=config.steps, initial=state["step"], disable=not accelerator.is_main_process, desc="motion")
    while state["step"] < config.steps:
        for features, target, mask in loader:
            with accelerator.accumulate(model):
                loss = motion_loss(model(features), target, mask, model_config.delay, model_config.target_scale)
                accelerator.backward(loss)
                accelerator.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            state["step"] += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}")
            last = state["step"] >= config.steps
            if state["step"] % config.eval_every == 0 or last:
                accelerator.wait_for_everyone()
                if accelerator.is_main_process:
                    unwrapped = accelerator.unwrap_model(model)
                    scores = validate(unwrapped, val_clips, config.features) if val_clips else {}
                    state["history"].append({"step": state["step"], "loss": loss.item(), **scores})
                    accelerator.print(f"step {state['step']}: loss {loss.item():.4f} " + " ".join(
                        f"{k} {v:.3f}" for k, v in scores.items()))  # fmt: skip
                    score = scores.get("mouth_corr", -1.0)
                    if score > state["best"] or not (output / "mouth_eye_generator").exists():
                        state["best"] = score
                        unwrapped.save_pretrained(output / "mouth_eye_generator")
                accelerator.save_state(str(checkpoints))
                if accelerator.is_main_process:
                    (checkpoints / "trainer.json").write_text(json.dumps(state))
            if last:
                break
    bar.close()

    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        baseline = LoudnessBaseline.fit(
            [c.loudness for c in train_clips],
            [displacements(c.face_points, c.rest, MOTION_POINTS) for c in train_clips],
        )
        save_file(
            {"coefficients": baseline.coefficients},
            str(output / "mouth_eye_generator" / "loudness_baseline.safetensors"),
        )
        (output / "training_log.json").write_text(json.dumps({
            "config": dataclasses.asdict(config), "best_mouth_corr": state["best"], "history": state["history"],
            "train_clips": [c.name for c in train_clips], "validation_clips": [c.name for c in val_clips],
        }, indent=1))  # fmt: skip
        accelerator.print(f"best validation mouth_corr {state['best']:.3f} -> {output / 'mouth_eye_generator'}")
        if args.push_to_hub:
            MouthEyeGenerator.from_pretrained(output / "mouth_eye_generator").push_to_hub(args.push_to_hub)


if __name__ == "__main__":
    main()
