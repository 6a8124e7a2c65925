"""The training loop every stylehead training script shares (imported as a sibling module).

accelerate's pattern: ``prepare`` → ``accumulate`` → ``backward`` → ``step``; checkpoints with
``save_state`` every ``eval_every`` steps (``--resume`` continues from them); validation and saving
on the main process only; the best validation score decides which weights are kept. With
``ema_decay`` > 0 an exponential moving average of the weights (Polyak averaging) is what gets
validated and saved: on small data it is steadier and generalises better than the last step.
"""

import argparse
import copy
import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import yaml
from accelerate import Accelerator
from tqdm.auto import tqdm


def parse_args(config_type: type, description: str) -> tuple[Any, argparse.Namespace]:
    """The command line every training script takes: ``--config``, ``--set``, ``--resume``, ``--push-to-hub``."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help=f"YAML file with {config_type.__name__} fields")
    parser.add_argument("--set", nargs="*", default=[], help="overrides, e.g. steps=2 batch_size=2")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="also upload the weights to this Hub repo")
    args = parser.parse_args()
    return load_config(config_type, args.config, args.set), args


@dataclasses.dataclass
class Run:
    """What every training script sets up before it builds its model."""

    config: Any  # the script's config dataclass
    args: argparse.Namespace  # --resume, --push-to-hub
    accelerator: Accelerator
    output: Path  # config.output: checkpoints and the training log
    target: Path  # output / <component>: where the best weights are saved

    def clips(self) -> tuple[list, list]:
        """The preprocessed clips of ``config.data``, split into training and validation speakers."""
        from stylehead.motion.training_data import load_clips, split_clips

        return split_clips(load_clips(Path(self.config.data)), Path(self.config.split))


def start_run(config_type: type, description: str, component: str) -> Run:
    """Parse the command line, start accelerate, seed everything and name the output folders."""
    from accelerate.utils import set_seed

    config, args = parse_args(config_type, description)
    accelerator = Accelerator()
    set_seed(config.seed)
    output = Path(config.output)
    return Run(config, args, accelerator, output, output / component)


def load_config(config_type: type, path: str | None, overrides: list[str]):
    """A dataclass of ``config_type`` from a YAML file plus ``key=value`` overrides (values parsed as YAML)."""
    values = yaml.safe_load(Path(path).read_text()) if path else {}
    for item in overrides:
        key, _, raw = item.partition("=")
        values[key] = yaml.safe_load(raw)
    known = {f.name: f for f in dataclasses.fields(config_type)}
    unknown = set(values) - set(known)
    if unknown:
        raise SystemExit(f"unknown config keys {sorted(unknown)}; known: {sorted(known)}")
    for key, value in values.items():
        if isinstance(value, list) and "tuple" in str(known[key].type):
            values[key] = tuple(value)
    return config_type(**values)


def finish_run(config, state: dict, output: Path, target: Path, model_class: type, push_to_hub: str | None,
               score_name: str, **extra) -> None:  # fmt: skip
    """On the main process after training: write ``training_log.json``, report, optionally upload."""
    log = {"config": dataclasses.asdict(config), f"best_{score_name}": state["best"], "history": state["history"],
           **extra}  # fmt: skip
    (output / "training_log.json").write_text(json.dumps(log, indent=1, default=float))
    print(f"best validation {score_name} {state['best']:.4f} -> {target}")
    if push_to_hub:
        model_class.from_pretrained(target).push_to_hub(push_to_hub)


def cosine_schedule(optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, steps) / max(steps, 1)))
    )


def train_loop(
    accelerator: Accelerator,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: torch.utils.data.DataLoader,
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    validate: Callable[[torch.nn.Module], dict[str, float]],
    save: Callable[[torch.nn.Module], None],
    *,
    steps: int,
    eval_every: int,
    output: Path,
    resume: bool,
    score_key: str,
    higher_is_better: bool,
    name: str,
    ema_decay: float = 0.0,
) -> dict:
    """Run ``steps`` optimiser steps; returns the trainer state (step, best score, history).

    ``loss_fn(model, batch)`` must call the prepared model (so that DDP sees the forward pass);
    ``validate(unwrapped_model)`` returns scores; ``save(unwrapped_model)`` writes the weights and is
    called whenever ``scores[score_key]`` improves.
    """
    scheduler = cosine_schedule(optimizer, steps)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    ema = copy.deepcopy(accelerator.unwrap_model(model)).eval().requires_grad_(False) if ema_decay > 0 else None
    checkpoints = output / "checkpoints"
    state = {"step": 0, "best": None, "history": []}
    if resume and (checkpoints / "trainer.json").exists():
        accelerator.load_state(str(checkpoints))
        state = json.loads((checkpoints / "trainer.json").read_text())
        if ema is not None and (checkpoints / "ema.safetensors").exists():
            from safetensors.torch import load_file

            ema.load_state_dict(load_file(str(checkpoints / "ema.safetensors")))
        accelerator.print(f"resumed at step {state['step']}")
    bar = tqdm(total=steps, initial=state["step"], disable=not accelerator.is_main_process, desc=name)
    while state["step"] < steps:
        for batch in loader:
            with accelerator.accumulate(model):
                loss = loss_fn(model, batch)
                accelerator.backward(loss)
                accelerator.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            if ema is not None:  # warm-up: early on the average follows the model closely
                warm = (1 + state["step"]) / (10 + state["step"])
                _update_ema(ema, accelerator.unwrap_model(model), min(ema_decay, warm))
            state["step"] += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}")
            done = state["step"] >= steps
            if state["step"] % eval_every == 0 or done:
                _checkpoint(accelerator, model, ema, loss.item(), validate, save, state, checkpoints, score_key,
                            higher_is_better)  # fmt: skip
            if done:
                break
    bar.close()
    accelerator.wait_for_everyone()
    return state


@torch.no_grad()
def _update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for average, current in zip(ema.parameters(), model.parameters(), strict=True):
        average.lerp_(current.detach(), 1.0 - decay)
    for average, current in zip(ema.buffers(), model.buffers(), strict=True):
        average.copy_(current)  # BatchNorm statistics follow the live model


def _checkpoint(accelerator, model, ema, loss, validate, save, state, checkpoints, score_key, higher_is_better):
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        unwrapped = ema if ema is not None else accelerator.unwrap_model(model)
        was_training = unwrapped.training
        unwrapped.eval()
        with torch.no_grad():
            scores = validate(unwrapped)
        unwrapped.train(was_training)
        state["history"].append({"step": state["step"], "loss": loss, **scores})
        summary = " ".join(f"{k} {v:.4f}" for k, v in scores.items())
        accelerator.print(f"step {state['step']}: loss {loss:.4f} {summary}", flush=True)
        score = scores.get(score_key, -loss if higher_is_better else loss)
        better = state["best"] is None or (score > state["best"] if higher_is_better else score < state["best"])
        if better:
            state["best"] = score
            save(unwrapped)
    accelerator.save_state(str(checkpoints))
    if accelerator.is_main_process:
        if ema is not None:
            from safetensors.torch import save_file

            save_file(ema.state_dict(), str(checkpoints / "ema.safetensors"))
        (checkpoints / "trainer.json").write_text(json.dumps(state))
