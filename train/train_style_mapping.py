"""Train Style Mapping's intermediate generator (paper §4.2) with accelerate.

    accelerate launch train/train_style_mapping.py --config train/configs/style_mapping.yaml
    accelerate launch --num_processes 2 --cpu train/train_style_mapping.py --config ...  # same script

Style Mapping warps the neutral image towards a style reference's keypoints (here with the warp
renderer, ``stylehead.render.style_mapping``) and an intermediate generator decodes the result. This
trains that generator on pairs of the same speaker: the clip's source frame warped onto one of its
reference frames' landmarks (with the facial map of those landmarks) → the real reference frame. It
is the same residual U-Net as the Style-Aware Generator with a smaller config; the best weights by
held-out mouth L1 go to ``<output>/style_mapping/``.
"""

from common import start_run
from image_training import ImageTrainingConfig, train


def main() -> None:
    train(start_run(ImageTrainingConfig, __doc__, "style_mapping"), "style_mapping")


if __name__ == "__main__":
    main()
