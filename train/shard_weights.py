"""Split a model folder's weights into small safetensors shards, or join them back.

A GPU machine may only hand back files of a limited size; this moves trained weights through such
a limit without pickles or precision surprises:

    python train/shard_weights.py split runs/generator/style_aware_generator out/ --max-mb 15 --dtype float16
    python train/shard_weights.py join out/ runs/generator/style_aware_generator

``split`` writes ``config.json`` and ``model-00001.safetensors`` …; ``join`` writes one float32
``model.safetensors`` beside the config, the layout ``from_pretrained`` reads.
"""

import argparse
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def split(folder: Path, output: Path, max_mb: float, dtype: str) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    shutil.copy2(folder / "config.json", output / "config.json")
    state = load_file(str(folder / "model.safetensors"))
    shards, current, size = [], {}, 0
    for name, tensor in state.items():
        tensor = tensor.to(getattr(torch, dtype)) if tensor.is_floating_point() else tensor
        nbytes = tensor.numel() * tensor.element_size()
        if current and size + nbytes > max_mb * 2**20:
            shards.append(current)
            current, size = {}, 0
        current[name], size = tensor.contiguous(), size + nbytes
    shards.append(current)
    paths = []
    for index, shard in enumerate(shards, 1):
        paths.append(output / f"model-{index:05d}.safetensors")
        save_file(shard, str(paths[-1]))
    return paths


def join(shards: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    state = {}
    for path in sorted(shards.glob("model-*.safetensors")):
        state.update(load_file(str(path)))
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    shutil.copy2(shards / "config.json", folder / "config.json")
    save_file(state, str(folder / "model.safetensors"))
    return folder / "model.safetensors"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("split", "join"))
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--max-mb", type=float, default=15.0)
    parser.add_argument("--dtype", default="float16", choices=("float16", "bfloat16", "float32"))
    args = parser.parse_args()
    if args.action == "split":
        for path in split(args.source, args.target, args.max_mb, args.dtype):
            print(path, f"{path.stat().st_size / 2**20:.1f} MB")
    else:
        print(join(args.source, args.target))


if __name__ == "__main__":
    main()
