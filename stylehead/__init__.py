"""stylehead: style transfer for 2D talking-head animation (Pham, Le et al., arXiv 2303.09799).

Give one portrait, an audio clip and a style; get an mp4 of that face speaking or singing the
audio with the style's head motion, blinks and mouth style.
"""

__version__ = "0.1.0"

from stylehead.errors import MediaError, NoFaceError, StyleheadError

__all__ = ["MediaError", "NoFaceError", "StyleheadError", "__version__"]
