"""The Style-Aware Generator (paper §4.3; LSP's Feature2Face "normal"): a residual U-Net.

Input: the facial map of the frame, the source image and the four Intermediate Style Patterns
stacked as channels (``stylehead.render.neural_inputs``, 16 channels in [−1, 1]); output: the frame,
RGB in [−1, 1]. Eight levels with 64, 128, 256, 512, 512, 512, 512, 512 channels (256 px → 1 px,
512 px → 2 px). Each level going down is a stride-2 3×3 convolution, BatchNorm, ReLU and a residual
block; going up, a nearest ×2 upsampling, a 3×3 convolution, BatchNorm, ReLU and a residual block,
followed by the skip connection (channel concatenation). The outermost level has no norm, and its
up path ends in a convolution and tanh.

The same class, with a smaller config, is Style Mapping's intermediate generator
(``train/train_style_mapping.py``).
"""

from dataclasses import dataclass

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from stylehead.render.neural_inputs import INPUT_CHANNELS


@dataclass
class GeneratorConfig:
    """Sizes of the residual U-Net."""

    in_channels: int = INPUT_CHANNELS  # facial map (1) + source (3) + four ISPs (12)
    out_channels: int = 3  # RGB
    channels: tuple[int, ...] = (64, 128, 256, 512, 512, 512, 512, 512)  # per level, outermost first
    residual_blocks: int = 1  # per level and direction (LSP "normal": 1, "large": 2)
    resolution: int = 256  # the crop side it was trained at (a multiple of 2 ** levels)


class ResidualBlock(nn.Module):
    """Conv3×3 → BN → ReLU → Conv3×3 → BN, plus the input, then ReLU."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


def _stage(channels: int, blocks: int) -> list[nn.Module]:
    return [nn.BatchNorm2d(channels), nn.ReLU(inplace=True), *(ResidualBlock(channels) for _ in range(blocks))]


class StyleAwareGenerator(nn.Module, PyTorchModelHubMixin, library_name="stylehead", tags=["stylehead"]):
    """(B, in_channels, S, S) in [−1, 1] → (B, out_channels, S, S) in [−1, 1]; S a multiple of 2 ** levels."""

    def __init__(self, config: GeneratorConfig):
        super().__init__()
        self.config = config
        channels, blocks = config.channels, config.residual_blocks
        down, previous = [], config.in_channels
        for level, width in enumerate(channels):
            conv = nn.Conv2d(previous, width, 3, stride=2, padding=1, bias=level == 0)
            tail = [nn.ReLU(inplace=True)] if level == 0 else _stage(width, blocks)  # no norm on the outermost
            down.append(nn.Sequential(conv, *tail))
            previous = width
        up = []
        for level in range(len(channels) - 1, 0, -1):
            width_in = channels[level] if level == len(channels) - 1 else 2 * channels[level]
            width_out = channels[level - 1]
            up.append(nn.Sequential(
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(width_in, width_out, 3, padding=1, bias=False),
                *_stage(width_out, blocks),
            ))  # fmt: skip
        self.down = nn.ModuleList(down)
        self.up = nn.ModuleList(up)
        self.out = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(2 * channels[0] if len(channels) > 1 else channels[0], config.out_channels, 3, padding=1),
            nn.Tanh(),
        )

    @property
    def levels(self) -> int:
        return len(self.config.channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        multiple = 2**self.levels
        if x.shape[-1] % multiple or x.shape[-2] % multiple:
            raise ValueError(f"input sides must be multiples of {multiple}, got {tuple(x.shape[-2:])}")
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        skips.pop()  # the innermost output goes straight up
        for block in self.up:
            x = torch.cat([block(x), skips.pop()], dim=1)
        return self.out(x)
