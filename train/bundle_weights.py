"""Assemble trained components into a weights bundle (the package's default or one to publish).

    python train/bundle_weights.py --motion runs/motion_phones --head-pose runs/head_pose \
        --style-transfer runs/style_transfer --speech-encoder stylehead/weights/speech_encoder \
        --output stylehead/weights [--apc runs/apc] [--push-to-hub owner/stylehead]

Copies each component's config.json and model.safetensors (and the loudness baseline) into
``<output>/<component>/``, writes the driving speech (``--driving-speech``, 16-bit samples of a speech
clip, used when a style's reference has no sound) and the manifest ``model_index.json`` naming every
component and file (:mod:`stylehead.weights_index`; the rest estimate and the presets are listed,
``train/fit_rest_estimate.py`` and ``train/learn_style.py`` write them), checks that every component
loads strictly, and prints the total size. The model card (``<output>/README.md``) is written by
``train/model_card.py``.
"""

import argparse
import json
import shutil
from pathlib import Path

COMPONENT_FILES = ("config.json", "model.safetensors", "loudness_baseline.safetensors")


def copy_component(source: Path, target: Path, files: tuple[str, ...] = COMPONENT_FILES) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in files:
        if (source / name).exists():
            shutil.copy2(source / name, target / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--motion", type=Path, nargs="+", required=True,
        help="train_motion.py output folders; several make an ensemble (predictions averaged)",
    )  # fmt: skip
    parser.add_argument("--head-pose", type=Path, required=True, help="a train_head_pose.py output folder")
    parser.add_argument("--apc", type=Path, help="a train_apc.py output folder (when the generator reads APC)")
    parser.add_argument("--style-transfer", type=Path, help="a train_style_transfer.py output folder (f)")
    parser.add_argument("--speech-encoder", type=Path,
                        help="a speech_encoder folder (train/convert_speech_encoder.py), when a model reads speech")
    parser.add_argument("--driving-speech", type=Path, default=Path("examples/speech.wav"),
                        help="speech that drives the generators when a style's reference has no sound")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--push-to-hub", metavar="REPO_ID")
    args = parser.parse_args()
    for old in args.output.glob("mouth_eye_generator*"):
        shutil.rmtree(old)
    bases: list[str] = []
    generator_names: list[str] = []
    for index, run in enumerate(args.motion):
        features = json.loads((run / "mouth_eye_generator" / "config.json").read_text())["features"]
        base = "mouth_eye_generator" if index == 0 else f"mouth_eye_generator_{'_'.join(features)}"
        earlier = bases.count(base)  # generators already reading the same features (other seeds)
        bases.append(base)
        name = f"{base}_{earlier + 1}" if earlier else base
        copy_component(run / "mouth_eye_generator", args.output / name)
        generator_names.append(name)
    copy_component(args.head_pose / "head_pose_model", args.output / "head_pose_model")
    if args.apc:
        copy_component(args.apc / "apc_encoder", args.output / "apc_encoder")
    elif (args.output / "apc_encoder").exists():
        shutil.rmtree(args.output / "apc_encoder")

    if args.speech_encoder and args.speech_encoder.resolve() != (args.output / "speech_encoder").resolve():
        copy_component(args.speech_encoder, args.output / "speech_encoder", (*COMPONENT_FILES, "README.md"))

    if args.style_transfer:
        copy_component(args.style_transfer / "style_transfer", args.output / "style_transfer")

    import numpy as np
    from safetensors.numpy import save_file

    from stylehead.media import read_audio
    from stylehead.style.models import StyleModels
    from stylehead.weights_index import write_index

    speech = np.round(np.clip(read_audio(args.driving_speech), -1, 1 - 2**-15) * 32768).astype(np.int16)
    save_file({"audio": speech}, str(args.output / "driving_speech.safetensors"),
              metadata={"source": args.driving_speech.name})  # fmt: skip
    classes = {"speech_encoder": "SpeechEncoder", "apc_encoder": "APCEncoder", "head_pose_model": "HeadPoseModel",
               "style_transfer": "StyleTransferNetwork", "style_aware_generator": "StyleAwareGenerator"}  # fmt: skip
    components = {name: "MouthEyeGenerator" for name in generator_names}
    components |= {name: cls for name, cls in classes.items() if (args.output / name / "model.safetensors").is_file()}
    files = {"rest_estimate": "rest_estimate.safetensors", "driving_speech": "driving_speech.safetensors",
             "presets": "presets", "loudness_baseline": "mouth_eye_generator/loudness_baseline.safetensors"}
    write_index(args.output, components, files)
    StyleModels.from_pretrained(args.output)  # strict loading of every component
    size = sum(p.stat().st_size for p in args.output.rglob("*") if p.is_file())
    print(f"bundle {args.output}: {size / 1e6:.1f} MB")
    if args.push_to_hub:
        from huggingface_hub import upload_folder

        upload_folder(repo_id=args.push_to_hub, folder_path=str(args.output), repo_type="model")


if __name__ == "__main__":
    main()
