"""Publish the bundled presets as style repos on the Hugging Face Hub, one repo per preset, as ``push-style`` shares
one style (:mod:`stylehead.style.sharing`), so that any install can load them, and presets added later, by id.

    python train/publish_presets.py --owner OWNER                          # writes runs/preset_repos/<preset>/ only
    python train/publish_presets.py --owner OWNER --push [--private]       # and uploads OWNER/stylehead-style-<preset>

Each repo holds the preset's file as ``style.safetensors`` (byte for byte), its model card, written anew from
the pack (what it learned and did not, its source and licence, its learning metrics, the generator weights
it needs), and ``preview.jpg``: its reference maps above the bundled example portrait speaking the bundled
speech in its style. Without ``--push`` nothing is uploaded: the folders are what would be.
"""

import argparse
import shutil
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--owner", required=True, help="the Hub user or organisation the repos belong to")
    parser.add_argument("--presets", type=Path, help="a folder of style packs (default: the bundled presets)")
    parser.add_argument("--prefix", default="stylehead-style-", help="each repo is OWNER/<prefix><preset>")
    parser.add_argument("--output", type=Path, default=Path("runs/preset_repos"), help="where each repo is written")
    parser.add_argument("--license", default="other", help="the cards' licence id (the bundled weights' is other)")
    parser.add_argument("--push", action="store_true", help="upload each repo (default: write the folders only)")
    parser.add_argument("--private", action="store_true", help="make the repos private when they are created")
    args = parser.parse_args()

    from stylehead.errors import StyleheadError
    from stylehead.media import read_audio, read_image
    from stylehead.render.warp_renderer import Portrait
    from stylehead.style.library import check_base
    from stylehead.style.models import StyleModels
    from stylehead.style.pack import StylePack
    from stylehead.style.preview import style_preview
    from stylehead.style.sharing import CARD_FILE, PREVIEW_FILE, STYLE_FILE, StyleRepo, weights_name

    repo_files = {CARD_FILE, PREVIEW_FILE, STYLE_FILE}

    models = StyleModels.from_pretrained()
    presets = args.presets or models.presets
    portrait = Portrait.from_image(read_image(EXAMPLES / "portrait.png"), "portrait.png", models.rest_estimate)
    speech = read_audio(EXAMPLES / "speech.wav")
    try:
        for path in sorted(presets.glob("*.safetensors")):
            pack = check_base(StylePack.load(path), models.motion)
            repo_id = f"{args.owner}/{args.prefix}{path.stem}"
            repo = StyleRepo(pack, repo_id, args.license, weights_name(None),
                             style_preview(pack, models, portrait, speech), pack_file=path)  # fmt: skip
            folder = args.output / path.stem
            if folder.is_dir() and {p.name for p in folder.iterdir()} <= repo_files:  # an earlier run's: made anew
                shutil.rmtree(folder)
            repo.write(folder)
            print(f"{path.name}: {repo_id} -> {folder}" + (f" -> {repo.push(args.private)}" if args.push else ""))
    except StyleheadError as err:
        raise SystemExit(f"error: {err}") from None
    if not args.push:
        print("nothing uploaded (--push uploads)")


if __name__ == "__main__":
    main()
