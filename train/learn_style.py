"""Learn style packs from reference videos with accelerate (one GPU, several, or the CPU).

    accelerate launch train/learn_style.py --config train/configs/presets.yaml
    accelerate launch train/learn_style.py --set 'references=[{video: ref.mp4, name: ballad}]' output=styles

The same :func:`stylehead.style.learn.learn_style` as ``python -m stylehead learn-style`` and the app;
here the fine-tuning runs on accelerate's device and the references are shared out between the
processes. Each reference is ``{video, name, licence, description}`` (``video`` may be a folder: every
video in it becomes a style named after its file). Writes ``<output>/<name>.safetensors``.
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path

from common import parse_args


@dataclass
class LearnStylesConfig:
    """Which references become which style packs."""

    references: list = field(default_factory=list)  # [{video, name, licence, description}]
    output: str = "runs/styles"
    weights: str | None = None  # motion weights (default: the bundled ones)
    max_seconds: float = 120.0
    critic_steps: int | None = None  # overrides of FineTuneConfig (None: its defaults)
    steps: int | None = None
    seed: int = 0


def expand(references: list[dict]) -> list[dict]:
    """Folders become one entry per video in them."""
    from stylehead.media import VIDEO_SUFFIXES

    entries = []
    for entry in references:
        video = Path(entry["video"])
        if video.is_dir():
            entries += [{"video": str(p), "name": p.stem, "licence": entry.get("licence", "")}
                        for p in sorted(video.iterdir()) if p.suffix.lower() in VIDEO_SUFFIXES]  # fmt: skip
        else:
            entries.append(dict(entry, name=entry.get("name") or video.stem))
    return entries


def main() -> None:
    import dataclasses

    from accelerate import Accelerator

    from stylehead.errors import StyleheadError
    from stylehead.style.fine_tune import FineTuneConfig
    from stylehead.style.learn import LearnStyleConfig, learn_style
    from stylehead.style.models import StyleModels

    config, _ = parse_args(LearnStylesConfig, __doc__)
    accelerator = Accelerator()
    models = StyleModels.from_pretrained(config.weights)
    overrides = {k: v for k, v in {"critic_steps": config.critic_steps, "steps": config.steps}.items() if v is not None}
    fine_tune = dataclasses.replace(FineTuneConfig(seed=config.seed), **overrides)
    learn_config = LearnStyleConfig(max_seconds=config.max_seconds, fine_tune=fine_tune)
    output = Path(config.output)
    output.mkdir(parents=True, exist_ok=True)
    entries = expand(config.references)
    failed = 0
    for entry in entries[accelerator.process_index :: accelerator.num_processes]:
        try:
            pack = learn_style(entry["video"], models, name=entry["name"], config=learn_config,
                               device=str(accelerator.device))  # fmt: skip
        except StyleheadError as err:
            print(f"{entry['video']}: {err}", file=sys.stderr)
            failed += 1
            continue
        pack.licence = entry.get("licence", "")
        if entry.get("description"):
            pack.metrics = dict(pack.metrics)
            pack.source = f"{pack.source}: {entry['description']}"
        path = pack.save(output / f"{entry['name']}.safetensors")
        print(f"[{accelerator.process_index}] {entry['video']} -> {path} ({', '.join(pack.learned)})")
    accelerator.wait_for_everyone()
    if failed:
        raise SystemExit(f"{failed} reference(s) could not be learned from")


if __name__ == "__main__":
    main()
