"""stylehead: style transfer for 2D talking-head animation (Pham, Le et al., arXiv 2303.09799).

Give one portrait, an audio clip and a style; get an mp4 of that face speaking or singing the
audio with the style's head motion, blinks and mouth style.
"""

__version__ = "0.1.0"

from stylehead.errors import MediaError, NoFaceError, StyleheadError
from stylehead.options import AnimateOptions

__all__ = ["AnimateOptions", "MediaError", "NoFaceError", "StyleHeadPipeline", "StyleheadError", "__version__"]


def __getattr__(name: str):
    # The pipeline imports torch; load it on first use so that `import stylehead` stays light.
    if name == "StyleHeadPipeline":
        from stylehead.pipeline import StyleHeadPipeline

        return StyleHeadPipeline
    raise AttributeError(f"module 'stylehead' has no attribute {name!r}")
