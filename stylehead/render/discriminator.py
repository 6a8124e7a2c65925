"""The multi-scale PatchGAN discriminator of the Style-Aware Generator (pix2pixHD; LSP's settings).

Each scale is an N-layer PatchGAN (4×4 convolutions, ``ndf`` channels doubling up to 512, stride 2
but for the last two, BatchNorm, LeakyReLU 0.2, a 1-channel patch map at the end); scale k sees the
input average-pooled k times (3×3, stride 2). It reads the generator's input and an image together
(16 + 3 = 19 channels: LSP's code builds it with 26 by mistake). Every layer's output is returned,
so that the generator's feature-matching loss can use them.
"""

from dataclasses import dataclass

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from stylehead.render.neural_inputs import INPUT_CHANNELS


@dataclass
class DiscriminatorConfig:
    """Sizes of the multi-scale PatchGAN."""

    in_channels: int = INPUT_CHANNELS + 3  # the generator's input and an RGB image
    ndf: int = 64  # channels of the first layer
    layers: int = 3  # stride-2 layers after the first (LSP n_layers_D)
    scales: int = 2  # discriminators at full, 1/2, 1/4 … resolution (LSP num_D)


class PatchDiscriminator(nn.Module):
    """One scale: (B, C, H, W) → the list of its layers' outputs, the last a (B, 1, h, w) patch map."""

    def __init__(self, in_channels: int, ndf: int, layers: int):
        super().__init__()
        blocks = [nn.Sequential(nn.Conv2d(in_channels, ndf, 4, stride=2, padding=2), nn.LeakyReLU(0.2, True))]
        width = ndf
        for index in range(1, layers + 1):
            previous, width = width, min(width * 2, 512)
            stride = 2 if index < layers else 1
            blocks.append(nn.Sequential(
                nn.Conv2d(previous, width, 4, stride=stride, padding=2), nn.BatchNorm2d(width), nn.LeakyReLU(0.2, True),
            ))  # fmt: skip
        blocks.append(nn.Sequential(nn.Conv2d(width, 1, 4, stride=1, padding=2)))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs = []
        for block in self.blocks:
            x = block(x)
            outputs.append(x)
        return outputs


class MultiscaleDiscriminator(nn.Module, PyTorchModelHubMixin, library_name="stylehead", tags=["stylehead"]):
    """(B, C, H, W) → per scale, the list of layer outputs (last = patch predictions)."""

    def __init__(self, config: DiscriminatorConfig):
        super().__init__()
        self.config = config
        self.scales = nn.ModuleList(
            PatchDiscriminator(config.in_channels, config.ndf, config.layers) for _ in range(config.scales)
        )
        self.pool = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        outputs = []
        for index, scale in enumerate(self.scales):
            if index:
                x = self.pool(x)
            outputs.append(scale(x))
        return outputs
