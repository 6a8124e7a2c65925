"""How often the renderer's limits change the motion: the share of frames scaled back to stay fold-free,
and of frames whose head pose the pose limit eased, per style, over portraits × modes.

    python benchmarks/motion_limits.py [--portraits ../shared/data/portraits/*] [--audio examples/speech.wav]

The limits (``stylehead/render/integrity.py``) keep the warp from tearing; a style that is scaled back
often moves more than a warp of one photo can show. Figures are the mean (and the largest) share of
frames over the portraits and both framings.
"""

import argparse
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.media import read_audio, read_image
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.data import MotionControls, resample_motion
from stylehead.render import integrity
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.style.library import load_style, styled
from stylehead.style.models import StyleModels

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def shares(renderer: WarpRenderer, motion) -> tuple[float, float]:
    """(share of frames scaled back against folds, share of frames whose pose the limit changed)."""
    eased = np.abs(integrity.limit_pose(renderer.own_pose, motion.pose) - motion.pose).max(1) > 1e-3
    targets = renderer.unfolded_targets(motion)
    scale = integrity.fold_free_scale(renderer.rig, renderer.landmarks, targets.landmarks.astype(np.float64),
                                      targets.head)  # fmt: skip
    return float((scale < 0.999).mean()), float(eased.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--portraits", type=Path, nargs="+", default=sorted((SHARED / "portraits").glob("*")))
    parser.add_argument("--audio", type=Path, default=EXAMPLES / "speech.wav")
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()

    model = AudioToMotion.from_pretrained()
    audio = read_audio(args.audio)[: int(args.seconds * 16_000)]
    motions = {"default": resample_motion(model(audio, MotionControls()), 30)}
    models = StyleModels.from_pretrained(motion=model)
    for name in models.preset_names():
        motion_model, controls = styled(model, load_style(name, models), MotionControls(), None)
        motions[name] = resample_motion(motion_model(audio, controls), 30)
    renderers = []
    for path in args.portraits:
        try:
            portrait = Portrait.from_image(read_image(path), path.name)
        except StyleheadError:
            continue
        renderers += [WarpRenderer(portrait, RenderConfig(mode=mode, size=256)) for mode in ("crop", "full")]
    print(f"{len(renderers) // 2} portraits × crop and full, {args.seconds:.0f} s of {args.audio.name}")
    print(f"{'motion':12} {'scaled back (mean, largest)':>28} {'pose eased (mean, largest)':>28}")
    for name, motion in motions.items():
        rows = np.array([shares(renderer, motion) for renderer in renderers])
        print(f"{name:12} {rows[:, 0].mean():>17.1%} {rows[:, 0].max():>9.1%} "
              f"{rows[:, 1].mean():>18.1%} {rows[:, 1].max():>9.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
