"""Write the presets' model card (``stylehead/weights/presets/README.md``) from the packs and an
``evaluate style`` report.

    python train/presets_card.py --presets stylehead/weights/presets --config train/configs/presets.yaml \
        --report runs/style_eval.json

Beside the card, ``<preset>.jpg`` shows each preset: its reference's four Style Reference Images as
landmark maps (no one's picture is stored or shown) above the bundled example portrait speaking the
bundled speech in that style, at four moments.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def preview(pipe, pack, portrait, audio: np.ndarray, path: Path) -> Path:
    """``path``: the pack's reference maps above ``portrait`` speaking ``audio`` in its style, four moments (JPEG)."""
    from stylehead.media.image import write_image
    from stylehead.style.preview import style_preview

    return write_image(path, style_preview(pack, pipe.style_models, portrait, audio))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True, help="the learn_style.py config that made them")
    parser.add_argument("--report", type=Path, required=True, help="`stylehead evaluate style` JSON")
    args = parser.parse_args()

    from stylehead import StyleHeadPipeline
    from stylehead.media import read_audio, read_image
    from stylehead.render.warp_renderer import Portrait
    from stylehead.style.pack import StylePack

    pipe = StyleHeadPipeline.from_pretrained()
    example = Portrait.from_image(read_image(EXAMPLES / "portrait.png"), "portrait.png",
                                  pipe.style_models.rest_estimate)  # fmt: skip
    speech = read_audio(EXAMPLES / "speech.wav")

    config = yaml.safe_load(args.config.read_text())
    rows = {row["reference"]: row for row in json.loads(args.report.read_text())["references"]}
    lines = [
        "# stylehead style presets",
        "",
        "Each preset is a style pack (`stylehead.style.pack`): weight changes of the mouth and eye generators' "
        "decoders (float16), the reference's head motion (its tracked pose at 60 fps, which the style replays "
        "at the spread and speed below), blink rate and duration, where the reference's brows, eyelids and "
        "mouth corners sit and how its brows move, and the landmarks of four "
        "reference frames. Motion only: no image of anyone is stored. Learned with "
        f"`accelerate launch train/learn_style.py --config {args.config}` from the clips below (from "
        "`../shared/data`, gathered from public repositories' example folders).",
        "",
        "| preset | learned from | licence of the source | head pose std (pitch, yaw, roll) ° | speed °/s | blinks/min "
        "| not learned |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    metrics, previews = [], []
    for entry in config["references"]:
        pack = StylePack.load(args.presets / f"{entry['name']}.safetensors")
        image = preview(pipe, pack, example, speech, args.presets / f"{pack.name}.jpg")
        previews += [f"**{pack.name}** ({entry['description']}): its reference's four Style Reference Images, "
                     "then the bundled example in this style", "", f"![{pack.name}]({image.name})", ""]
        std = ", ".join(f"{v:.1f}" for v in pack.pose_std[:3])
        lines.append(f"| `{pack.name}` | {pack.source} | {pack.licence} | {std} | {pack.pose_speed:.1f} | "
                     f"{pack.blink_rate_per_minute:.1f} | {'; '.join(pack.not_learned) or 'nothing'} |")  # fmt: skip
        row = rows.get(Path(entry["video"]).name)
        if row:
            n, t = row["neutral"], row["transferred"]
            metrics.append(f"| `{pack.name}` | {row['audio']} | {n['sld']:.2f} → {t['sld']:.2f} | "
                           f"{n['slv']:.3f} → {t['slv']:.3f} | {n['smd']:.2f} → {t['smd']:.2f} | "
                           f"{t['pose_std_ratio']:.2f} | {t['pose_speed_ratio']:.2f} |")  # fmt: skip
        else:
            metrics.append(f"| `{pack.name}` | (its reference is a training clip: not in the style evaluation) "
                           "| | | | | |")  # fmt: skip
    lines += ["", "## What each preset looks like", "", *previews]
    lines += [
        "",
        "## Metrics",
        "",
        f"From `python -m stylehead evaluate style --references ../shared/data/style --audio ../shared/data/audio` "
        f"({args.report.name}): the reference's own face driven by audio that is not the reference's, with the "
        "default motion (neutral) and with the style learned from the reference, compared with the reference "
        "(lower is closer; pose ratios are transferred ÷ reference, 1 is a match).",
        "",
        "| preset | driving audio | SLD neutral → style | SLV | SMD | pose std ratio | pose speed ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *metrics,
        "",
        "## Limitations",
        "",
        "- One clip per style, 2-30 s long: a preset is that clip's motion, not a person's or an emotion's in general.",
        "- References without sound (or whose sound does not follow the mouth) give mouth shapes but not their "
        "timing against speech.",
        "- The face landmarks come from dlib's 68-point model (iBUG 300-W: non-commercial use only).",
    ]
    (args.presets / "README.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.presets / 'README.md'}")


if __name__ == "__main__":
    main()
