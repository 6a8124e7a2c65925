"""Train the Style-Aware Generator (paper §4.3, eq. 5–9) with accelerate.

    python train/prepare_render_data.py --clips ../shared/data/train --output runs/render_data
    accelerate launch train/train_generator.py --config train/configs/generator.yaml
    accelerate launch --mixed_precision bf16 train/train_generator.py --config ...   # on a GPU
    accelerate launch --num_processes 2 --cpu train/train_generator.py --config ...  # same script
    python train/train_generator.py --config ... --set steps=2 batch_size=2          # quick overrides

Self-reenactment: each sample is one frame of a training clip, drawn from its facial map, the clip's
source frame and the four ISPs made from that source (see ``train/image_training.py``). The weights
with the lowest mouth-region L1 on the held-out speakers are written in the Hub layout,
``<output>/style_aware_generator/{config.json, model.safetensors}``; checkpoints go to
``<output>/checkpoints`` and ``--resume`` continues from the last one.
"""

from common import start_run
from image_training import ImageTrainingConfig, train


def main() -> None:
    train(start_run(ImageTrainingConfig, __doc__, "style_aware_generator"), "generator")


if __name__ == "__main__":
    main()
