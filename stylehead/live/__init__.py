"""Live mode: audio pushed as it arrives, video frames out with a small, stated delay (:class:`LiveSession`)."""

from stylehead.live.motion_stream import MotionStream
from stylehead.live.session import LiveFrame, LiveSession

__all__ = ["LiveFrame", "LiveSession", "MotionStream"]
