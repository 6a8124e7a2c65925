"""Contact sheets to judge styles by eye: the reference beside two portraits in its style and in the default motion.

    python benchmarks/style_sheets.py --presets --references ../shared/data/style/style_mead_*.mp4 \
        --portraits examples/portrait.png ../shared/data/portraits/img_biden.jpg --output-dir runs/style_sheets

One JPEG per style: the first row shows the reference (four frames of its video, spread over it; for a
preset, the video named in ``train/configs/presets.yaml``), then, per portrait, a row of the default
motion and a row of the style, at the same four moments of the example speech. Sheets hold frames of
the references: write them outside the repository (``runs/`` is ignored by git). A reference video is
learned first (about a minute each).
"""

import argparse
from pathlib import Path

import cv2
import numpy as np
import yaml

from stylehead import AnimateOptions, StyleHeadPipeline
from stylehead.media import read_audio, read_frames, read_image
from stylehead.media.ffmpeg import probe
from stylehead.media.image import write_image
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.style.library import load_style, styled_portrait

REPO = Path(__file__).resolve().parents[1]
TILE = 192
MOMENTS = 4


def tile(frame: np.ndarray, label: str = "") -> np.ndarray:
    out = cv2.resize(frame, (TILE, TILE), interpolation=cv2.INTER_AREA)
    if label:
        cv2.putText(out, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 2, cv2.LINE_AA)
        cv2.putText(out, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (20, 20, 20), 1, cv2.LINE_AA)
    return out


def reference_row(video: Path) -> np.ndarray:
    info = probe(video)
    count = max(1, round((info.duration or 1) * (info.fps or 25)))
    indices = np.linspace(0, count - 1, MOMENTS + 2)[1:-1].round().astype(int)
    frames = read_frames(video, set(indices.tolist()))
    return np.concatenate([tile(frames[i], "reference" if k == 0 else "") for k, i in enumerate(indices)], 1)


def styled_rows(pipe: StyleHeadPipeline, portrait: Portrait, pack, audio: np.ndarray, strength: float) -> np.ndarray:
    rows = []
    for label, style in (("default", None), (f"style x{strength:g}", pack)):
        options = AnimateOptions(style_strength=strength)
        renderer = WarpRenderer(styled_portrait(portrait, style, strength), RenderConfig(size=512))
        targets = renderer.targets(pipe.motion(audio, options, style))
        at = np.linspace(0, len(targets.landmarks) - 1, MOMENTS + 2)[1:-1].round().astype(int)
        rows.append(np.concatenate([tile(renderer.render(targets.landmarks[i], targets.head[i]), label if k == 0
                                         else "") for k, i in enumerate(at)], 1))  # fmt: skip
    return np.concatenate(rows, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", action="store_true", help="a sheet for every preset of the bundle")
    parser.add_argument("--references", type=Path, nargs="*", default=[], help="reference videos, learned first")
    parser.add_argument("--packs", type=Path, nargs="*", default=[], help="style packs (VIDEO=PACK to show its video)")
    parser.add_argument("--portraits", type=Path, nargs="+", default=[REPO / "examples" / "portrait.png"])
    parser.add_argument("--audio", type=Path, default=REPO / "examples" / "speech.wav")
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--output-dir", type=Path, required=True)
    args = parser.parse_args()
    pipe = StyleHeadPipeline.from_pretrained()
    audio = read_audio(args.audio)[: 16000 * 8]
    portraits = [Portrait.from_image(read_image(p), p.name, pipe.style_models.rest_estimate) for p in args.portraits]
    styles: list[tuple[str, object, Path | None]] = []
    if args.presets:
        sources = {e["name"]: Path(e["video"]) for e in yaml.safe_load((REPO / "train/configs/presets.yaml")
                                                                       .read_text())["references"]}  # fmt: skip
        styles += [(name, load_style(name, pipe.style_models), sources.get(name)) for name in pipe.preset_names()]
    styles += [(video.stem, load_style(video, pipe.style_models), video) for video in args.references]
    for entry in args.packs:
        video, _, pack = str(entry).rpartition("=")
        styles.append((Path(pack).stem, load_style(Path(pack), pipe.style_models), Path(video) if video else None))
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for name, pack, video in styles:
        rows = [reference_row(video)] if video is not None and video.exists() else []
        rows += [styled_rows(pipe, portrait, pack, audio, args.strength) for portrait in portraits]
        path = write_image(args.output_dir / f"{name}.jpg", np.concatenate(rows, 0))
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
