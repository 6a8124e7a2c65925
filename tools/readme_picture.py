"""The README's picture: the bundled example portrait speaking the bundled speech, in the default motion and
in each preset, two moments each, tiled into one small JPEG.

    python tools/readme_picture.py -o docs/images/styles.jpg

Only project-owned media (``examples/``) are used. Each column is one style at the same two moments of
the speech (the default motion's widest-open frame and a frame 2 s later), so the styles can be compared.
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from stylehead import StyleHeadPipeline
from stylehead.face.landmarks import mouth_opening
from stylehead.media import read_audio, read_image
from stylehead.media.image import write_image
from stylehead.options import AnimateOptions
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.style.library import load_style, styled_portrait

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TILE = 200
LABEL_HEIGHT = 28


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pipe = StyleHeadPipeline.from_pretrained()
    audio = read_audio(EXAMPLES / "speech.wav")
    picture = read_image(EXAMPLES / "portrait.png")
    portrait = Portrait.from_image(picture, "portrait.png", pipe.style_models.rest_estimate)
    options = AnimateOptions(seed=args.seed)
    styles = [("default motion", None)] + [(name, load_style(name, pipe.style_models)) for name in pipe.preset_names()]
    columns, moments = [], None
    for name, pack in styles:
        renderer = WarpRenderer(styled_portrait(portrait, pack), RenderConfig(size=512))  # as the pipeline draws it
        targets = renderer.targets(pipe.motion(audio, options, pack))
        if moments is None:  # the default motion's widest-open frame, and one 2 s later
            widest = int(np.argmax(mouth_opening(targets.landmarks)))
            moments = (widest, min(len(targets.landmarks) - 1, widest + 2 * options.fps))
        tiles = [cv2.resize(renderer.render(targets.landmarks[i], targets.head[i]), (TILE, TILE),
                            interpolation=cv2.INTER_AREA) for i in moments]  # fmt: skip
        label = np.full((LABEL_HEIGHT, TILE, 3), 255, np.uint8)
        cv2.putText(label, name, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (20, 20, 20), 1, cv2.LINE_AA)
        columns.append(np.concatenate([label, *tiles], axis=0))
    sheet = np.concatenate(columns, axis=1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_image(args.output, sheet)
    print(f"{args.output}: {sheet.shape[1]}x{sheet.shape[0]}, {args.output.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
