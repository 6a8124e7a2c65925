"""Make a folder of links to the validation clips of a split, for ``stylehead evaluate ... --clips``.

    python train/split_folder.py --clips ../shared/data/train --split train/configs/split.yaml \
        --output runs/validation_clips
"""

import argparse
from pathlib import Path

import yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, required=True)
    parser.add_argument("--split", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    names = set(yaml.safe_load(args.split.read_text())["validation"])
    args.output.mkdir(parents=True, exist_ok=True)
    linked = 0
    for clip in sorted(args.clips.iterdir()):
        if clip.stem in names:
            link = args.output / clip.name
            if not link.exists():
                link.symlink_to(clip.resolve())
            linked += 1
    print(f"{linked} of {len(names)} validation clips linked in {args.output}")


if __name__ == "__main__":
    main()
