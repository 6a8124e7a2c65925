"""Media I/O: audio, images and video in; H.264 + AAC mp4 out. Only the bundled ffmpeg is needed."""

from stylehead.media.audio import (
    AUDIO_FORMATS,
    AUDIO_SUFFIXES,
    SAMPLE_RATE,
    check_duration,
    read_audio,
    resample,
    write_wav,
)
from stylehead.media.ffmpeg import MediaInfo, probe
from stylehead.media.files import atomic_output, check_readable, check_writable
from stylehead.media.image import IMAGE_FORMATS, IMAGE_SUFFIXES, MAX_IMAGE_PIXELS, read_image, write_image
from stylehead.media.video import VIDEO_FORMATS, VIDEO_SUFFIXES, VideoReader, VideoWriter, read_frames, read_video

__all__ = [
    "AUDIO_FORMATS",
    "AUDIO_SUFFIXES",
    "IMAGE_FORMATS",
    "IMAGE_SUFFIXES",
    "MAX_IMAGE_PIXELS",
    "SAMPLE_RATE",
    "VIDEO_FORMATS",
    "VIDEO_SUFFIXES",
    "MediaInfo",
    "VideoReader",
    "VideoWriter",
    "atomic_output",
    "check_duration",
    "check_readable",
    "check_writable",
    "probe",
    "read_audio",
    "read_frames",
    "read_image",
    "read_video",
    "resample",
    "write_image",
    "write_wav",
]
