"""The APC audio encoder (paper §3.1, LSP, Chung et al. 2019): stacked GRUs over log-mel frames.

Autoregressive Predictive Coding trains the GRUs to predict the log-mel frame ``time_shift`` steps
ahead from the past alone (L1 loss), through a linear "postnet" that inference never uses. The last
GRU layer's states, (B, T, 512) at 120 Hz, are the audio features the motion models read.
"""

from dataclasses import dataclass

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn


@dataclass
class APCConfig:
    """Sizes of the APC encoder (the paper: 80 → 512 → 512 → 512, shift n = 3)."""

    mel_dim: int = 80  # log-mel bands per frame
    hidden_size: int = 512  # units of every GRU layer
    num_layers: int = 3  # stacked unidirectional GRUs
    time_shift: int = 3  # predict the frame this many steps (1/120 s each) ahead
    residual: bool = False  # add each layer's input to its output (LSP ships it off)


class APCEncoder(nn.Module, PyTorchModelHubMixin, library_name="stylehead", tags=["stylehead", "apc"]):
    """Stacked GRUs turning log-mel frames into 512-d audio features, with a prediction head."""

    def __init__(self, config: APCConfig):
        super().__init__()
        self.config = config
        sizes = [config.mel_dim] + [config.hidden_size] * config.num_layers
        self.grus = nn.ModuleList(nn.GRU(sizes[i], sizes[i + 1], batch_first=True) for i in range(config.num_layers))
        self.postnet = nn.Linear(config.hidden_size, config.mel_dim)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, T, mel_dim) log-mel → (B, T, hidden) features of the last GRU layer."""
        hidden = mel
        for index, gru in enumerate(self.grus):
            output, _ = gru(hidden)
            hidden = output + hidden if self.config.residual and index > 0 else output
        return hidden

    def prediction_loss(self, mel: torch.Tensor) -> torch.Tensor:
        """APC's objective: L1 between the predicted and the real frame ``time_shift`` steps ahead."""
        shift = self.config.time_shift
        predicted = self.postnet(self.forward(mel[:, :-shift]))
        return (predicted - mel[:, shift:]).abs().mean()

    @torch.inference_mode()
    def encode(self, mel: torch.Tensor) -> torch.Tensor:
        """(T, mel_dim) log-mel of one clip → (T, hidden) features."""
        return self.forward(mel[None].float())[0]
