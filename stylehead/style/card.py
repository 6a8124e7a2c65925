"""The model card of a style repo on the Hub: the front matter the Hub reads, and what the pack holds, in words.

The front matter says ``library_name: stylehead``, the tags ``stylehead``, ``talking-head`` and
``style``, the licence, and the generator weights the style needs (``stylehead_weights``, in words, and
``stylehead_weights_fingerprint``), which stylehead reads back to name them when a style is refused.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huggingface_hub import ModelCard

    from stylehead.style.pack import StylePack

STYLE_FILE = "style.safetensors"  # the pack, inside a style repo
CARD_FILE = "README.md"
PREVIEW_FILE = "preview.jpg"
TAGS = ["stylehead", "talking-head", "style"]
LANDMARKS_LICENCE = "the face landmarks come from dlib's 68-point model (iBUG 300-W: non-commercial use only)"


def style_card(pack: "StylePack", repo_id: str, license: str = "other", weights: str = "",
               preview: str | None = None) -> "ModelCard":  # fmt: skip
    """The card of ``pack`` shared as ``repo_id``; ``weights`` names the weights it needs (else the fingerprint alone),
    ``preview`` is the preview picture's file name in the repo."""
    from huggingface_hub import ModelCard, ModelCardData

    data = ModelCardData(library_name="stylehead", tags=TAGS, license=license or "other", stylehead_weights=weights
                         or None, stylehead_weights_fingerprint=pack.base or None)  # fmt: skip
    std = ", ".join(f"{v:.1f}" for v in pack.pose_std[:3])
    track = f"{len(pack.pose_track) / 60:.1f} s, replayed" if pack.pose_track is not None else "none (sampled)"
    not_learned = ["Not learned:", "", *(f"- {item}" for item in pack.not_learned)]
    if not pack.not_learned:
        not_learned = ["Nothing it tried to learn was left out."]
    lines = [
        f"# {pack.name}: a stylehead style",
        "",
        "A talking-head style for stylehead (portrait + audio + style → mp4): a style pack learned "
        f"from one clip ({pack.source or 'source not stated'}). Animate a portrait in it by this repo's id:",
        "",
        "```bash",
        f"python -m stylehead animate --image me.jpg --audio speech.wav -o me.mp4 --style {repo_id}",
        "```",
        "",
        "```python",
        "from stylehead import StyleHeadPipeline",
        "",
        f'StyleHeadPipeline.from_pretrained()("me.jpg", "speech.wav", "me.mp4", style="{repo_id}")',
        "```",
        "",
        f"`{repo_id}@<revision>` pins a branch, a tag or a commit. The pack is `{STYLE_FILE}`: motion only, no "
        "image of anyone; stylehead reads it without unpickling anything and checks every tensor first.",
        "",
    ]
    if preview:
        lines += [f"![{pack.name}]({preview})", "",
                  "*Its four Style Reference Images (landmarks only), then stylehead's example portrait speaking the "
                  "example speech in this style, at four moments.*", ""]  # fmt: skip
    lines += [
        "## What it learned",
        "",
        *(f"- {item}" for item in pack.learned or ["(nothing listed)"]),
        "",
        *not_learned,
        "",
        "| head pose std (pitch, yaw, roll) ° | head speed °/s | blinks/min | blink duration s | head motion track |",
        "| --- | --- | --- | --- | --- |",
        f"| {std} | {pack.pose_speed:.1f} | {pack.blink_rate_per_minute:.1f} | {pack.blink_duration:.2f} | {track} |",
        "",
        "## Source and licence",
        "",
        f"- Learned from: {pack.source or 'not stated'}",
        f"- Licence of the reference: {pack.licence or 'not stated'}",
        f"- This repo's licence field: `{license or 'other'}`; {LANDMARKS_LICENCE}.",
        "",
        "## Weights it needs",
        "",
    ]
    if pack.deltas and pack.base:
        needs = f"{weights}, fingerprint `{pack.base}`" if weights else f"fingerprint `{pack.base}`"
        lines.append(f"The pack changes the mouth and eye generators of one set of stylehead weights ({needs}); "
                     "with any other weights stylehead refuses it and says which it needs.")  # fmt: skip
    else:
        lines.append("The pack changes no generator weights: it works with any stylehead weights.")
    if pack.metrics:
        lines += ["", "## Metrics (from learning it)", "", "| metric | value |", "| --- | --- |",
                  *(f"| {key} | {value:.4g} |" for key, value in pack.metrics.items())]  # fmt: skip
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")
