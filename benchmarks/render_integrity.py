"""Render integrity: torn faces, samples from outside the picture, jumps and a swaying background.

    python benchmarks/render_integrity.py                      # every preset and portrait, speech + singing
    python benchmarks/render_integrity.py --learn ../shared/data/style/a.mp4 b.mp4 c.mp4 --seconds 4
    python benchmarks/render_integrity.py --portraits examples/portrait.png --styles singing --seeds 0
    python benchmarks/render_integrity.py --styles singing --seeds 0 --modes full --no-extremes --opening-sheet s.jpg

Every combination of portrait × audio × style (none, the presets, styles learned from ``--learn``
videos) × mode (crop, full) × seed, plus the extreme controls (``--head-motion-scale 3``,
``--mouth-scale 2``) on the default motion, is animated with the warp renderer at 256×256 (the
motion is made once per audio, style and seed and shared by the portraits). From the mesh and the
frames each run counts:

- folded: frames with a triangle of the mesh whose orientation differs from the picture's (a tear);
- outside: pixels that would read the source from outside the picture (more than half a pixel out);
- jumps: frames whose mean change in the face box exceeds 4× the run's 90th percentile of it and
  12 grey levels (a face that snaps; a head that moves quickly for a few frames is not one);
- background: the mean absolute change, in grey levels, of pixels farther than half a face width
  from the head outline, neck and torso (the band), over all frames.

A contact sheet (``--sheet``) shows each run's worst frame (most folded, else largest jump, else
largest background change). Exit status 1 when any run has a fold, an outside sample or a jump.
"""

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

from stylehead.media import read_audio, read_image, write_image
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.data import MotionControls, resample_motion
from stylehead.render.integrity import folded
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.style.library import load_style, styled, styled_portrait
from stylehead.style.models import StyleModels

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FPS = 30
BAND = 0.5  # face widths around the moving parts
JUMP_FACTOR, JUMP_FLOOR = 4.0, 12.0


def band_mask(renderer: WarpRenderer) -> np.ndarray:
    """(H, W) bool: pixels farther than ``BAND`` face widths from the head outline, neck, torso and face."""
    import cv2

    rig = renderer.rig
    moving = rig.points[: rig.torso.stop]
    width = float(np.linalg.norm(rig.points[16] - rig.points[0]))
    mask = np.zeros((renderer.framing.height, renderer.framing.width), np.uint8)
    hull = cv2.convexHull(np.round(moving).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    radius = max(1, round(BAND * width))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask, kernel) == 0


def face_box(landmarks: np.ndarray, size: tuple[int, int]) -> tuple[slice, slice]:
    x0, y0 = np.floor(landmarks.min(0)).astype(int)
    x1, y1 = np.ceil(landmarks.max(0)).astype(int)
    return slice(max(0, y0), min(size[1], y1)), slice(max(0, x0), min(size[0], x1))


def check(renderer: WarpRenderer, motion) -> dict:
    """One run's counts and its worst frame."""
    targets = renderer.targets(motion)
    rig, (width, height) = renderer.rig, renderer.size
    points = rig.place_all(targets.landmarks.astype(np.float64), targets.head)
    folds = folded(points, rig.mesh.triangles, rig.orientation, rig.floors)
    background = band_mask(renderer)
    rows, cols = face_box(renderer.landmarks, (width, height))
    source = renderer.canvas.astype(np.int16)
    outside = 0
    changes, face_changes, frames = [], [], []
    previous = None
    for index in range(len(targets.landmarks)):
        map_x, map_y = renderer.sample_maps(targets.landmarks[index], targets.head[index])
        outside += int(((map_x < -0.5) | (map_x > width - 0.5) | (map_y < -0.5) | (map_y > height - 0.5)).sum())
        frame = renderer.render(targets.landmarks[index], targets.head[index]).astype(np.int16)
        changes.append(float(np.abs(frame - source)[background].mean()) if background.any() else 0.0)
        if previous is not None:
            face_changes.append(float(np.abs(frame[rows, cols] - previous[rows, cols]).mean()))
        previous = frame
        frames.append(frame.astype(np.uint8))
    face_changes = np.asarray(face_changes or [0.0])
    threshold = max(JUMP_FACTOR * float(np.percentile(face_changes, 90)), JUMP_FLOOR)
    jumps = int((face_changes > threshold).sum())
    if folds.max() > 0:
        worst = int(folds.argmax())
    elif jumps:
        worst = int(face_changes.argmax()) + 1
    else:
        worst = int(np.argmax(changes))
    return {"folded": int((folds > 0).sum()), "outside": outside, "jumps": jumps,
            "background": float(np.mean(changes)), "worst": frames[worst], "worst_index": worst,
            "opening": frames[: FPS + 1 : 5]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--portraits", type=Path, nargs="+",
                        default=sorted((SHARED / "portraits").glob("*")) or [EXAMPLES / "portrait.png"])  # fmt: skip
    parser.add_argument("--audio", type=Path, nargs="+", default=[EXAMPLES / "speech.wav",
                        SHARED / "audio" / "sonic_sing_female_10s.wav"])  # fmt: skip
    parser.add_argument("--styles", nargs="*", default=None, help="preset names (default: all) ")
    parser.add_argument("--learn", type=Path, nargs="*", default=[], help="style videos to learn and include")
    parser.add_argument("--modes", nargs="+", default=["crop", "full"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--seconds", type=float, default=3.0, help="audio used from each clip")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--no-extremes", action="store_true", help="skip the extreme controls")
    parser.add_argument("--sheet", type=Path, help="contact sheet of each run's worst frame (png or jpg)")
    parser.add_argument("--opening-sheet", type=Path, help="contact sheet of each run's first second (every 5th frame)")
    parser.add_argument("--weights", help="weights folder or Hub id (default: bundled)")
    args = parser.parse_args()

    started = time.perf_counter()
    model = AudioToMotion.from_pretrained(args.weights)
    styles: list[tuple[str, object]] = [("default", None)]
    models = StyleModels.from_pretrained(motion=model)
    names = models.preset_names() if args.styles is None else args.styles
    styles += [(name, load_style(name, models)) for name in names]
    styles += [(f"learned:{video.stem[:18]}", load_style(video, models)) for video in args.learn]
    motions = []  # (label, motion at 30 fps)
    for audio_path, (style_name, pack), seed in itertools.product(args.audio, styles, args.seeds):
        audio = read_audio(audio_path)[: int(args.seconds * 16_000)]
        variants = [("", MotionControls(seed=seed))]
        if pack is None and not args.no_extremes and seed == args.seeds[0]:
            variants += [(" head×3", MotionControls(seed=seed, head_motion_scale=3.0)),
                         (" mouth×2", MotionControls(seed=seed, mouth_scale=2.0))]  # fmt: skip
        for suffix, controls in variants:
            motion_model, controls = (model, controls) if pack is None else styled(model, pack, controls, None)
            motion = resample_motion(motion_model(audio, controls), FPS)
            motions.append((f"{audio_path.stem[:14]} {style_name}{suffix} seed {seed}", motion, pack))

    rows, worst_frames, openings, totals = [], [], [], {"folded": 0, "outside": 0, "jumps": 0}
    backgrounds = []
    print(f"{'portrait':26} {'mode':5} {'run':52} folded outside jumps background")
    for portrait_path in args.portraits:
        portrait = Portrait.from_image(read_image(portrait_path), portrait_path.name)
        for mode in args.modes:
            renderers = {}  # one per style: the portrait with that style's expression, as the pipeline draws it
            for label, motion, pack in motions:
                if id(pack) not in renderers:
                    renderers[id(pack)] = WarpRenderer(styled_portrait(portrait, pack),
                                                       RenderConfig(mode=mode, size=args.size))  # fmt: skip
                result = check(renderers[id(pack)], motion)
                for key in totals:
                    totals[key] += result[key]
                backgrounds.append(result["background"])
                bad = result["folded"] or result["outside"] or result["jumps"]
                line = (f"{portrait_path.name[:26]:26} {mode:5} {label[:52]:52} {result['folded']:6d} "
                        f"{result['outside']:7d} {result['jumps']:5d} {result['background']:10.2f}")  # fmt: skip
                rows.append(line)
                if bad or args.sheet is None or len(worst_frames) < 400:
                    print(line, flush=True)
                worst_frames.append(result["worst"])
                if args.opening_sheet is not None:
                    openings += result["opening"] + [np.zeros_like(result["worst"])] * (7 - len(result["opening"]))
    runs = len(rows)
    print(f"{runs} runs: folded frames {totals['folded']}, outside samples {totals['outside']}, face jumps "
          f"{totals['jumps']}; background beyond the band {np.mean(backgrounds):.2f} grey levels on average "
          f"(largest {np.max(backgrounds):.2f}); {time.perf_counter() - started:.0f} s")  # fmt: skip
    if args.sheet is not None:
        print(f"worst frame of each run: {', '.join(map(str, write_sheets(args.sheet, worst_frames)))}")
    if args.opening_sheet is not None:
        pages = write_sheets(args.opening_sheet, openings, columns=7)
        print(f"first second of each run, a row each: {', '.join(map(str, pages))}")
    sys.exit(1 if totals["folded"] or totals["outside"] or totals["jumps"] else 0)


SHEET_ROWS = 400  # rows of tiles per sheet: a JPEG is at most 65,500 pixels high


def write_sheets(path: Path, frames: list[np.ndarray], columns: int = 12) -> list[Path]:
    """Tile ``frames`` into ``path``, or into ``<stem>_1<suffix>``, ``<stem>_2<suffix>``… when one sheet would be
    too tall to save (every preset and portrait: 1,176 runs, a row each on the opening sheet)."""
    per_page = SHEET_ROWS * columns
    pages = [frames[i : i + per_page] for i in range(0, len(frames), per_page)] or [frames]
    paths = [path] if len(pages) == 1 else [path.with_name(f"{path.stem}_{k}{path.suffix}") for k in
                                            range(1, len(pages) + 1)]  # fmt: skip
    for page, target in zip(pages, paths, strict=True):
        write_image(target, tile(page, columns))
    return paths


def tile(frames: list[np.ndarray], columns: int = 12, side: int = 128) -> np.ndarray:
    import cv2

    small = [cv2.resize(f, (side, side), interpolation=cv2.INTER_AREA) for f in frames]
    rows = -(-len(small) // columns)
    sheet = np.zeros((rows * side, columns * side, 3), np.uint8)
    for i, image in enumerate(small):
        row, column = divmod(i, columns)
        sheet[row * side : (row + 1) * side, column * side : (column + 1) * side] = image
    return sheet


if __name__ == "__main__":
    main()
