"""Media I/O: every common audio/image/video input, and mp4 output with sound."""

import subprocess

import numpy as np
import pytest
import soundfile
from PIL import Image

from stylehead.errors import MediaError
from stylehead.media import VideoReader, VideoWriter, probe, read_audio, read_frames, read_image
from stylehead.media.ffmpeg import ffmpeg_exe
from tests.synthetic import tone, write_still_video


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", *args], check=True)


@pytest.mark.parametrize("rate", [8_000, 22_050, 44_100, 96_000])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_wav_any_rate_and_channels_becomes_mono_16k(tmp_path, rate, channels):
    path = tmp_path / "in.wav"
    soundfile.write(path, tone(1.5, rate, channels=channels), rate)
    audio = read_audio(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - 24_000) <= 2
    assert 0.25 < np.abs(audio).max() <= 0.31  # the tone's amplitude survives resampling and downmix


@pytest.mark.parametrize("suffix,codec", [(".mp3", "libmp3lame"), (".flac", "flac"), (".ogg", "libvorbis"),
                                          (".m4a", "aac")])  # fmt: skip
def test_compressed_audio_formats(tmp_path, suffix, codec):
    source = tmp_path / "src.wav"
    soundfile.write(source, tone(2.0, 44_100, channels=2), 44_100)
    target = tmp_path / f"speech{suffix}"
    ffmpeg("-i", str(source), "-c:a", codec, str(target))
    audio = read_audio(target)
    assert abs(len(audio) / 16_000 - 2.0) < 0.08
    segment = audio[4000:20000]
    peak_hz = np.argmax(np.abs(np.fft.rfft(segment))) * 16_000 / len(segment)
    assert abs(peak_hz - 220) < 3  # still a 220 Hz tone


def test_audio_track_of_a_video(still_video):
    audio = read_audio(still_video)
    assert abs(len(audio) / 16_000 - 2.4) < 0.1


def test_clipped_samples_are_clipped(tmp_path):
    path = tmp_path / "loud.wav"
    soundfile.write(path, tone(1.0) * 5, 16_000, subtype="FLOAT")
    audio = read_audio(path)
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_samples_are_refused_in_one_sentence(tmp_path, value):
    samples = tone(1.0)
    samples[100:200] = value
    path = tmp_path / "broken.wav"
    soundfile.write(path, samples, 16_000, subtype="FLOAT")
    with pytest.raises(MediaError, match="100 samples that are not numbers"):
        read_audio(path)


def test_video_without_sound_is_refused_in_one_sentence(silent_video):
    with pytest.raises(MediaError, match="has no audio track"):
        read_audio(silent_video)


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00garbage" * 10, b"this is a text file\n"])
def test_empty_or_corrupt_audio(tmp_path, content):
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    with pytest.raises(MediaError):
        read_audio(path)


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="does not exist"):
        read_audio(tmp_path / "nope.wav")


def test_too_long_audio_is_refused_before_decoding(tmp_path):
    path = tmp_path / "long.wav"
    soundfile.write(path, tone(3.0), 16_000)
    with pytest.raises(MediaError, match="limit is 2 s"):
        read_audio(path, max_seconds=2)


# --- images -------------------------------------------------------------------------------------


def _gradient(size=(48, 64)) -> np.ndarray:
    h, w = size
    x, y = np.meshgrid(np.linspace(0, 255, w), np.linspace(0, 255, h))
    return np.stack([x, y, np.full(size, 128.0)], -1).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".bmp"])
def test_image_formats(tmp_path, suffix):
    path = tmp_path / f"im{suffix}"
    Image.fromarray(_gradient()).save(path)
    image = read_image(path)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert np.abs(image.astype(int) - _gradient()).mean() < 4


def test_rgba_is_composited_on_white(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:4, :, 3] = 255  # top half opaque red, bottom half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    assert tuple(image[0, 0]) == (200, 0, 0) and tuple(image[7, 7]) == (255, 255, 255)


def test_grayscale_and_16_bit(tmp_path):
    Image.fromarray(np.full((6, 6), 77, np.uint8), "L").save(tmp_path / "g.png")
    assert tuple(read_image(tmp_path / "g.png")[0, 0]) == (77, 77, 77)
    Image.fromarray(np.full((6, 6), 65535, np.uint16)).save(tmp_path / "g16.png")
    assert tuple(read_image(tmp_path / "g16.png")[0, 0]) == (255, 255, 255)


def test_cmyk_and_palette(tmp_path):
    Image.fromarray(_gradient()).convert("CMYK").save(tmp_path / "c.jpg")
    Image.fromarray(_gradient()).convert("P").save(tmp_path / "p.png")
    for name in ("c.jpg", "p.png"):
        assert read_image(tmp_path / name).shape == (48, 64, 3)


def test_exif_rotation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    Image.fromarray(_gradient()).save(tmp_path / "r.jpg", exif=exif)
    assert read_image(tmp_path / "r.jpg").shape == (64, 48, 3)


def test_huge_image_is_refused_from_its_header(tmp_path):
    Image.new("1", (20_000, 20_000)).save(tmp_path / "bomb.png")
    with pytest.raises(MediaError, match=r"pixels.*resize it first"):
        read_image(tmp_path / "bomb.png")


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"not an image"])
def test_empty_or_corrupt_image(tmp_path, content):
    (tmp_path / "x.png").write_bytes(content)
    with pytest.raises(MediaError):
        read_image(tmp_path / "x.png")


# --- video --------------------------------------------------------------------------------------


def test_mp4_round_trip_has_h264_aac_and_the_audio_duration(tmp_path, portrait):
    path = write_still_video(tmp_path / "out.mp4", portrait, frames=50, fps=25, audio=tone(2.0))
    info = probe(path)
    assert info.has_video and info.has_audio and info.size == (512, 512) and info.fps == 25
    assert abs(info.duration - 2.0) < 0.1
    log = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    assert "Video: h264" in log and "Audio: aac" in log
    frames = list(VideoReader(path))
    assert len(frames) == 50 and frames[0].shape == (512, 512, 3)
    assert np.abs(frames[10].astype(int) - portrait).mean() < 6


def test_odd_sizes_are_padded_for_h264(tmp_path):
    path = write_still_video(tmp_path / "odd.mp4", np.zeros((33, 47, 3), np.uint8), frames=3)
    assert probe(path).size == (48, 34)


def test_writer_aborts_without_leaving_a_file_and_keeps_an_existing_one(tmp_path, portrait):
    target = tmp_path / "keep.mp4"
    target.write_bytes(b"user's file")
    with pytest.raises(RuntimeError), VideoWriter(target, fps=25) as writer:
        writer.write(portrait)
        raise RuntimeError("render failed")
    assert target.read_bytes() == b"user's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]


def test_read_frames_picks_frames_by_index_and_names_a_missing_one(tmp_path):
    path = tmp_path / "ramp.mp4"
    with VideoWriter(path, fps=25) as writer:
        for level in range(0, 250, 50):  # 5 frames of distinct grey levels
            writer.write(np.full((64, 64, 3), level, np.uint8))
    every = list(VideoReader(path))
    frames = read_frames(path, {1, 3})
    assert sorted(frames) == [1, 3]
    assert np.array_equal(frames[1], every[1]) and np.array_equal(frames[3], every[3])
    frames[1][0, 0] = 7  # the caller owns (and may change) what it gets
    with pytest.raises(MediaError, match="ended before frame 9"):
        read_frames(path, {0, 9})


def test_video_reader_refuses_audio_only_files(tmp_path):
    soundfile.write(tmp_path / "a.wav", tone(0.5), 16_000)
    with pytest.raises(MediaError, match="no video stream"):
        VideoReader(tmp_path / "a.wav")


def test_outputs_get_normal_file_permissions(tmp_path, portrait):
    import os

    mask = os.umask(0o022)
    try:
        path = write_still_video(tmp_path / "perm.mp4", portrait, frames=2)
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
