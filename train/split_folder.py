"""Make a folder of links to the held-out clips of a split (every clip of its speakers), for ``evaluate --clips``.

    python train/split_folder.py --clips ../shared/data/train --split train/configs/split.yaml \
        --output runs/validation_clips
"""

import argparse
from pathlib import Path

from stylehead.motion.speaker_split import load_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, required=True)
    parser.add_argument("--split", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    split = load_split(args.split)
    args.output.mkdir(parents=True, exist_ok=True)
    linked = 0
    for clip in sorted(args.clips.iterdir()):
        if split.is_held_out(clip.stem):
            link = args.output / clip.name
            if not link.exists():
                link.symlink_to(clip.resolve())
            linked += 1
    print(f"{linked} clips of {len(split.held_out)} held-out speakers linked in {args.output}")


if __name__ == "__main__":
    main()
