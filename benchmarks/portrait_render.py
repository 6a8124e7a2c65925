"""Animate every portrait in a folder and tile a frame of each into one sheet to look at.

For each image: the pipeline renders the first seconds of the example speech (crop mode, 256 px,
the open-mouthed frame of the clip kept); faces the detector cannot find must end in the clear
no-face error. Prints one line per portrait and writes the sheet (default runs/portraits_sheet.jpg;
it holds frames of the portraits, so it stays out of the repository).

    python benchmarks/portrait_render.py --portraits ../shared/data/portraits
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from stylehead.errors import NoFaceError
from stylehead.face import mouth_opening
from stylehead.media import IMAGE_SUFFIXES, VideoReader, read_audio
from stylehead.pipeline import StyleHeadPipeline, write_contact_sheet

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "speech.wav"


def render_portraits(folder: Path, seconds: float = 3.0, size: int = 256, mode: str = "crop"):
    """Yield (name, status, frame or None, seconds) for each image in ``folder``."""
    pipeline = StyleHeadPipeline.from_pretrained()
    audio = read_audio(EXAMPLE)[: int(seconds * 16_000)]
    with tempfile.TemporaryDirectory() as work:
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            started = time.perf_counter()
            try:
                result = pipeline(path, audio, Path(work) / f"{path.stem}.mp4", size=size, mode=mode)
            except NoFaceError as err:
                yield path.name, f"refused: {err}", None, time.perf_counter() - started
                continue
            widest = int(np.argmax(mouth_opening(result.landmarks)))
            frame = next(f for i, f in enumerate(VideoReader(result.video)) if i == widest)
            yield path.name, f"ok, {result.num_frames} frames", frame, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--portraits", type=Path, required=True)
    parser.add_argument("--mode", default="crop", choices=("crop", "full"))
    parser.add_argument("--sheet", type=Path, default=Path("runs/portraits_sheet.jpg"))
    args = parser.parse_args()
    frames, ok, total = [], 0, 0
    for name, status, frame, seconds in render_portraits(args.portraits, mode=args.mode):
        total += 1
        ok += frame is not None
        print(f"{name:<40} {status} ({seconds:.1f} s)")
        if frame is not None:
            import cv2

            frames.append(cv2.resize(frame, (256, 256)) if frame.shape[:2] != (256, 256) else frame)
    print(f"animated {ok}/{total}; the others were refused with the no-face error")
    if frames:
        args.sheet.parent.mkdir(parents=True, exist_ok=True)
        print(f"sheet -> {write_contact_sheet(frames, args.sheet, columns=6, width=1536)}")


if __name__ == "__main__":
    main()
