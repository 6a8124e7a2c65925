"""Rendering: motion → frames. The default is the one-shot warp renderer (no neural network)."""

from stylehead.render.framing import Framing, plan_framing
from stylehead.render.warp_renderer import FrameTargets, Portrait, RenderConfig, WarpRenderer

__all__ = ["FrameTargets", "Framing", "Portrait", "RenderConfig", "WarpRenderer", "plan_framing"]
