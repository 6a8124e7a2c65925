"""How often stylehead finds the face on real media: portraits found, and valid frames per clip.

    python benchmarks/face_coverage.py --portraits ../shared/data/portraits --videos ../shared/data/train

Targets: faces on ≥ 19 of the 21 shared portraits; ≥ 95% of the training clips' frames valid.
"""

import argparse
import time
from pathlib import Path

from stylehead.errors import StyleheadError
from stylehead.face import find_face, track_video
from stylehead.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES, read_image


def portrait_coverage(folder: Path) -> tuple[int, int, list[str]]:
    """(found, total, messages for the misses) over the images of a folder."""
    found, misses = 0, []
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for path in images:
        try:
            find_face(read_image(path), path.name)
            found += 1
        except StyleheadError as err:
            misses.append(str(err))
    return found, len(images), misses


def video_coverage(folder: Path) -> tuple[int, int, list[tuple[str, int, int]]]:
    """(valid frames, total frames, per-clip rows) over the videos of a folder."""
    rows = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES):
        try:
            track = track_video(path)
            rows.append((path.name, int(track.valid.sum()), len(track)))
        except StyleheadError as err:
            rows.append((f"{path.name} ({err})", 0, 0))
    return sum(r[1] for r in rows), sum(r[2] for r in rows), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--portraits", type=Path)
    parser.add_argument("--videos", type=Path)
    args = parser.parse_args()
    if args.portraits:
        start = time.perf_counter()
        found, total, misses = portrait_coverage(args.portraits)
        print(f"portraits: face found in {found}/{total} ({time.perf_counter() - start:.1f} s)")
        for message in misses:
            print(f"  miss: {message}")
    if args.videos:
        start = time.perf_counter()
        valid, total, rows = video_coverage(args.videos)
        for name, ok, count in rows:
            if count == 0 or ok < count:
                print(f"  {name}: {ok}/{count} frames valid")
        share = 100.0 * valid / max(total, 1)
        print(
            f"videos: {len(rows)} clips, {valid}/{total} frames valid ({share:.2f}%), "
            f"{total / (time.perf_counter() - start):.1f} frames/s overall"
        )


if __name__ == "__main__":
    main()
