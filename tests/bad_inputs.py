"""A corpus of hostile and awkward uploads, generated on the fly (nothing is read from real media).

Each :class:`BadInput` says which input it is given as (``image``, ``audio`` or ``style``, the
style reference video), how to make its file from the example portrait, and what must happen:
``refused`` (one clear sentence naming the problem) or ``accepted`` (stylehead reads it correctly).
Every file is tiny (the portrait given is a 256-pixel one): the whole corpus is made in a few seconds.
"""

import gzip
import io
import json
import os
import pickle
import struct
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image

from tests.synthetic import tone, write_still_video

RATE = 16_000


@dataclass(frozen=True)
class BadInput:
    """One file of the corpus."""

    name: str  # the test id
    role: str  # "image", "audio" or "style": the argument it is given as
    make: Callable[[Path, np.ndarray], Path]  # (folder, portrait RGB) → the file
    outcome: str  # "refused" or "accepted"
    expect: str = ""  # a fragment the refusal message must contain
    slow: bool = False  # takes more than a few seconds (learning a style): opt-in, ``-m slow``


def _speech_like(seconds: float, rate: int = RATE, channels: int = 1) -> np.ndarray:
    """A tone with a syllable-rate envelope: enough to drive a mouth."""
    wave = tone(seconds, rate, channels=channels)
    t = np.arange(len(wave)) / rate
    envelope = (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)).astype(np.float32)
    return wave * (envelope if channels == 1 else envelope[:, None])


def good_audio(folder: Path, seconds: float = 0.6) -> Path:
    path = folder / "good.wav"
    soundfile.write(path, _speech_like(seconds), RATE)
    return path


def good_image(folder: Path, portrait: np.ndarray) -> Path:
    path = folder / "good.png"
    Image.fromarray(portrait).save(path)
    return path


# --- images -------------------------------------------------------------------------------------


def _png_bytes(portrait: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(portrait).save(buffer, fmt)
    return buffer.getvalue()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncated_png(folder, portrait):
    return _write(folder / "truncated.png", _png_bytes(portrait)[:3000])


def _truncated_jpg(folder, portrait):
    return _write(folder / "truncated.jpg", _png_bytes(portrait, "JPEG")[:1500])


def _empty_png(folder, portrait):
    return _write(folder / "empty.png", b"")


def _wav_named_png(folder, portrait):
    soundfile.write(folder / "sound.wav", tone(0.5), RATE)
    return (folder / "sound.wav").rename(folder / "sound.png")


def _png_named_jpg(folder, portrait):
    return _write(folder / "portrait.jpg", _png_bytes(portrait))


def _one_pixel(folder, portrait):
    Image.new("RGB", (1, 1), (200, 150, 120)).save(folder / "pixel.png")
    return folder / "pixel.png"


def _bomb(folder, portrait):
    Image.new("1", (20_000, 20_000)).save(folder / "bomb.png")  # 400 Mpixels in a few kB
    return folder / "bomb.png"


def _cmyk(folder, portrait):
    Image.fromarray(portrait).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    return folder / "cmyk.jpg"


def _sixteen_bit(folder, portrait):
    gray = (np.asarray(Image.fromarray(portrait).convert("L"), np.uint16) * 257).astype(np.uint16)
    Image.fromarray(gray).save(folder / "gray16.png")
    return folder / "gray16.png"


def _animated(folder, portrait):
    first = Image.fromarray(portrait)
    second = Image.fromarray(portrait[:, ::-1].copy())
    first.save(folder / "animated.gif", save_all=True, append_images=[second], duration=100, loop=0)
    return folder / "animated.gif"


def _spaces_name(folder, portrait):
    return _write(folder / "my portrait (1).png", _png_bytes(portrait))


def _non_utf8_name(folder, portrait):
    path = Path(os.fsdecode(bytes(folder) + b"/portr\xe9t\xff.png"))  # Latin-1 bytes: not valid UTF-8
    return _write(path, _png_bytes(portrait))


def _zip_named_png(folder, portrait):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("portrait.png", _png_bytes(portrait))
    return _write(folder / "archive.png", buffer.getvalue())


def _pdf_named_jpg(folder, portrait):
    return _write(folder / "scan.jpg", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")


def _faceless_image(folder, portrait):
    Image.new("RGB", (320, 240), (40, 120, 200)).save(folder / "sky.png")
    return folder / "sky.png"


# --- audio --------------------------------------------------------------------------------------


def _zero_seconds(folder, portrait):
    soundfile.write(folder / "nothing.wav", np.zeros(0, np.float32), RATE)
    return folder / "nothing.wav"


def _empty_wav(folder, portrait):
    return _write(folder / "empty.wav", b"")


def _truncated_wav(folder, portrait):
    soundfile.write(folder / "full.wav", _speech_like(1.0), RATE)
    return _write(folder / "truncated.wav", (folder / "full.wav").read_bytes()[:40])


def _truncated_mp3(folder, portrait):
    from tests.test_media import ffmpeg

    soundfile.write(folder / "src.wav", _speech_like(1.0), RATE)
    ffmpeg("-i", str(folder / "src.wav"), "-c:a", "libmp3lame", str(folder / "src.mp3"))
    return _write(folder / "truncated.mp3", (folder / "src.mp3").read_bytes()[:300])


def _nan_audio(folder, portrait):
    samples = np.full(int(0.6 * RATE), np.nan, np.float32)
    soundfile.write(folder / "nan.wav", samples, RATE, subtype="FLOAT")
    return folder / "nan.wav"


def _clipped_audio(folder, portrait):
    soundfile.write(folder / "clipped.wav", _speech_like(0.6) * 20, RATE, subtype="FLOAT")
    return folder / "clipped.wav"


def _rate(rate: int):
    def make(folder, portrait):
        soundfile.write(folder / f"rate{rate}.wav", _speech_like(0.6, rate), rate)
        return folder / f"rate{rate}.wav"

    return make


def _six_channels(folder, portrait):
    soundfile.write(folder / "surround.wav", _speech_like(0.6, 48_000, channels=6), 48_000)
    return folder / "surround.wav"


def _silent_video(folder, portrait):
    return write_still_video(folder / "no sound.mp4", portrait[::4, ::4].copy(), frames=5)


def _portrait_picture(folder, portrait):  # the portrait as a file, given where a sound or a video goes
    Image.fromarray(portrait).save(folder / "me.jpg")
    return folder / "me.jpg"


def _text_named_mp3(folder, portrait):
    return _write(folder / "lyrics.mp3", b"la la la\n" * 100)


def _tar_named_wav(folder, portrait):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("speech.wav")
        data = b"RIFF" + bytes(2000)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return _write(folder / "speech.wav", buffer.getvalue())


def _gzip_named_flac(folder, portrait):
    return _write(folder / "song.flac", gzip.compress(b"fLaC" + bytes(4000)))


def _non_utf8_audio_name(folder, portrait):
    soundfile.write(folder / "plain.wav", _speech_like(0.6), RATE)  # soundfile cannot open such a name itself
    return (folder / "plain.wav").rename(Path(os.fsdecode(bytes(folder) + b"/chanson \xe0 moi.wav")))


# --- style reference videos and packs -----------------------------------------------------------


def _audio_as_style(folder, portrait):
    soundfile.write(folder / "voice.wav", tone(1.0), RATE)
    return folder / "voice.wav"


def _faceless_style(folder, portrait):
    ramp = np.linspace(0, 255, 128, dtype=np.float32)
    image = np.stack([np.add.outer(ramp, ramp) / 2, np.tile(ramp, (128, 1)), np.full((128, 128), 90.0)], -1)
    return write_still_video(folder / "faceless.mp4", image.astype(np.uint8), frames=10)


def _two_faces_style(folder, portrait):
    pair = np.concatenate([portrait, portrait[:, ::-1]], axis=1).copy()
    return write_still_video(folder / "two faces.mp4", pair, frames=40)


def _truncated_style(folder, portrait):
    full = write_still_video(folder / "full.mp4", portrait, frames=10)
    return _write(folder / "cut.mp4", full.read_bytes()[:1500])


def _zip_named_mp4(folder, portrait):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("clip.mp4", bytes(3000))
    return _write(folder / "clip.mp4", buffer.getvalue())


def _pickle_named_safetensors(folder, portrait):
    class Payload:
        def __reduce__(self):
            return (os.system, ("touch PWNED",))

    return _write(folder / "style.safetensors", pickle.dumps(Payload()))


def _huge_header_safetensors(folder, portrait):
    return _write(folder / "huge.safetensors", struct.pack("<Q", 1 << 40) + b"{}")


# --- the smaller classes: too short, too slow a sample rate, a face on its side -------------------


def _short_audio(folder, portrait):
    soundfile.write(folder / "blip.wav", _speech_like(0.05), RATE)
    return folder / "blip.wav"


def _one_hertz(folder, portrait):
    soundfile.write(folder / "slow.wav", np.tile(np.array([0.5, -0.5], np.float32), 15), 1)  # "30 s" of sound
    return folder / "slow.wav"


def _sideways(folder, portrait):
    return _write(folder / "sideways.png", _png_bytes(np.ascontiguousarray(np.rot90(portrait))))


# --- crafted style packs: a real pack (the neutral preset) with one field made hostile -----------

PRESET = Path(__file__).resolve().parents[1] / "stylehead" / "weights" / "presets" / "neutral.safetensors"


def preset_parts() -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The neutral preset's tensors and metadata, to be mutated."""
    from safetensors import safe_open
    from safetensors.numpy import load_file

    with safe_open(str(PRESET), "numpy") as handle:
        metadata = dict(handle.metadata())
    return load_file(str(PRESET)), metadata


def write_pack(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> Path:
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path), metadata=metadata)
    return path


def _pack_header(change: Callable[[dict], object]) -> Callable[[Path, np.ndarray], Path]:
    """A pack whose JSON header is ``change(header)`` (a new header, or text to store as it is)."""

    def make(folder, portrait):
        tensors, metadata = preset_parts()
        header = change(json.loads(metadata["header"]))
        metadata["header"] = header if isinstance(header, str) else json.dumps(header)
        return write_pack(folder / "crafted.safetensors", tensors, metadata)

    return make


def _pack_tensor(key: str, change: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path, np.ndarray], Path]:
    """A pack whose tensor ``key`` is ``change(tensor)`` (a key not in the pack: a new tensor)."""

    def make(folder, portrait):
        tensors, metadata = preset_parts()
        base = tensors.get(key, next(v for k, v in tensors.items() if k.startswith("delta.")))
        tensors[key] = np.asarray(change(base.copy()), base.dtype)
        return write_pack(folder / "crafted.safetensors", tensors, metadata)

    return make


def _set(header: dict, **changes) -> dict:
    return {**header, **changes}


def _first_delta() -> str:
    return next(k for k in preset_parts()[0] if k.startswith("delta."))


CRAFTED_PACKS: list[BadInput] = [
    BadInput("pack-name-a-number", "style", _pack_header(lambda h: _set(h, name=123)), "refused", "no name"),
    BadInput("pack-name-empty", "style", _pack_header(lambda h: _set(h, name="  ")), "refused", "no name"),
    BadInput("pack-name-huge", "style", _pack_header(lambda h: _set(h, name="x" * 5000)), "refused", "its name is"),
    BadInput("pack-learned-a-string", "style", _pack_header(lambda h: _set(h, learned="head")), "refused",
             "learned is not a list"),
    BadInput("pack-learned-numbers", "style", _pack_header(lambda h: _set(h, not_learned=[1, 2])), "refused",
             "not_learned is not a list"),
    BadInput("pack-metric-text", "style", _pack_header(lambda h: _set(h, metrics={"sld": "good"})), "refused",
             "metric 'sld'"),
    BadInput("pack-metric-nested", "style", _pack_header(lambda h: _set(h, metrics={"a": {"b": 1}})), "refused",
             "metric 'a'"),
    BadInput("pack-source-a-list", "style", _pack_header(lambda h: _set(h, source=["x"])), "refused",
             "source is not text"),
    BadInput("pack-base-a-number", "style", _pack_header(lambda h: _set(h, base=7)), "refused", "base is not text"),
    BadInput("pack-header-nested-deeply", "style", _pack_header(lambda h: "[" * 200_000 + "]" * 200_000), "refused",
             "its header"),
    BadInput("pack-header-a-list", "style", _pack_header(lambda h: [h]), "refused", "not a table"),
    BadInput("pack-header-oversized", "style", _pack_header(lambda h: _set(h, extra="y" * 100_000)), "refused",
             "characters (the limit"),
    BadInput("pack-pose-std-absurd", "style", _pack_tensor("pose.std", lambda t: t * 1e6), "refused", "pose.std"),
    BadInput("pack-head-track-absurd", "style", _pack_tensor("pose.track", lambda t: t + 500), "refused",
             "pose.track"),
    BadInput("pack-landmarks-absurd", "style", _pack_tensor("references.landmarks", lambda t: t - 1e9), "refused",
             "references.landmarks"),
    BadInput("pack-face-a-dot", "style", _pack_tensor("references.face_points", lambda t: t * 0), "refused",
             "mm across"),
    BadInput("pack-blinks-too-short", "style", _pack_tensor("blink.duration", lambda t: t * 0), "refused",
             "blink.duration"),
    BadInput("pack-blinks-too-many", "style", _pack_tensor("blink.rate_per_minute", lambda t: t + 1e6), "refused",
             "blink.rate_per_minute"),
    BadInput("pack-brows-absurd", "style", _pack_tensor("brows.track", lambda t: t + 50), "refused", "brows.track"),
    BadInput("pack-weights-absurd", "style", _pack_tensor(_first_delta(), lambda t: t + 100), "refused", "reaches"),
    BadInput("pack-weights-foreign", "style", _pack_tensor("delta.other.weight", lambda t: t), "refused",
             "these motion weights do not have"),
    BadInput("pack-weights-wrong-shape", "style", _pack_tensor(_first_delta(), lambda t: t.reshape(-1)[:7]),
             "refused", "does not fit"),
]


CORPUS: list[BadInput] = [
    BadInput("image-truncated-png", "image", _truncated_png, "refused", "truncated.png"),
    BadInput("image-truncated-jpg", "image", _truncated_jpg, "refused", "truncated.jpg"),
    BadInput("image-zero-bytes", "image", _empty_png, "refused", "is empty"),
    BadInput("image-wav-named-png", "image", _wav_named_png, "refused", "not an image"),
    BadInput("image-png-named-jpg", "image", _png_named_jpg, "accepted"),
    BadInput("image-1x1", "image", _one_pixel, "refused", "pixel.png"),
    BadInput("image-20000x20000-bomb", "image", _bomb, "refused", "resize it first"),
    BadInput("image-cmyk", "image", _cmyk, "accepted"),
    BadInput("image-16-bit", "image", _sixteen_bit, "accepted"),
    BadInput("image-animated-gif", "image", _animated, "accepted"),
    BadInput("image-name-with-spaces", "image", _spaces_name, "accepted"),
    BadInput("image-name-not-utf8", "image", _non_utf8_name, "accepted"),
    BadInput("image-zip-named-png", "image", _zip_named_png, "refused", "not an image"),
    BadInput("image-pdf-named-jpg", "image", _pdf_named_jpg, "refused", "not an image"),
    BadInput("image-no-face", "image", _faceless_image, "refused", "No face was found"),
    BadInput("image-a-video", "image", _silent_video, "refused", "is a video; the portrait is one picture"),
    BadInput("audio-0-seconds", "audio", _zero_seconds, "refused", "no audio samples"),
    BadInput("audio-zero-bytes", "audio", _empty_wav, "refused", "is empty"),
    BadInput("audio-truncated-wav", "audio", _truncated_wav, "refused", "truncated.wav"),
    BadInput("audio-truncated-mp3", "audio", _truncated_mp3, "refused", "truncated.mp3"),
    BadInput("audio-all-nan", "audio", _nan_audio, "refused", "not numbers"),
    BadInput("audio-clipped", "audio", _clipped_audio, "accepted"),
    BadInput("audio-8-khz", "audio", _rate(8_000), "accepted"),
    BadInput("audio-96-khz", "audio", _rate(96_000), "accepted"),
    BadInput("audio-6-channels", "audio", _six_channels, "accepted"),
    BadInput("audio-video-without-sound", "audio", _silent_video, "refused", "has no audio track"),
    BadInput("audio-portrait-given-as-audio", "audio", _portrait_picture, "refused", "is a picture, not sound"),
    BadInput("audio-text-named-mp3", "audio", _text_named_mp3, "refused", "lyrics.mp3"),
    BadInput("audio-tar-gz-named-wav", "audio", _tar_named_wav, "refused", "speech.wav"),
    BadInput("audio-gzip-named-flac", "audio", _gzip_named_flac, "refused", "song.flac"),
    BadInput("audio-name-not-utf8", "audio", _non_utf8_audio_name, "accepted"),
    BadInput("style-audio-only-file", "style", _audio_as_style, "refused", "has no video stream"),
    BadInput("style-no-face", "style", _faceless_style, "refused", "No face was found"),
    BadInput("style-portrait-given-as-style", "style", _portrait_picture, "refused", "is a picture; a style"),
    BadInput("style-two-faces", "style", _two_faces_style, "accepted", slow=True),
    BadInput("style-truncated-mp4", "style", _truncated_style, "refused", "cut.mp4"),
    BadInput("style-zip-named-mp4", "style", _zip_named_mp4, "refused", "clip.mp4"),
    BadInput("style-pickle-named-safetensors", "style", _pickle_named_safetensors, "refused", "not a style pack"),
    BadInput("style-huge-header-safetensors", "style", _huge_header_safetensors, "refused", "not a style pack"),
    BadInput("audio-0.05-seconds", "audio", _short_audio, "refused", "too short for a video"),
    BadInput("audio-1-hz", "audio", _one_hertz, "refused", "sampled at 1 Hz"),
    BadInput("image-face-on-its-side", "image", _sideways, "refused", "lies on its side"),
    *CRAFTED_PACKS,
]


# --- hostile calls: controls out of range and outputs that must not be written ------------------


@dataclass(frozen=True)
class BadCall:
    """One hostile command line (and, where the app has the same control, the same mistake through its handler).

    ``arguments(folder, image, audio)`` gives the command's arguments, its output inside ``folder``; what
    it leaves in ``folder`` beyond what was there before must be nothing.
    """

    name: str
    arguments: Callable[[Path, Path, Path], list[str]] | None  # None: a mistake only the app's API can make
    expect: str  # a fragment the refusal must contain
    app: dict | None = None  # the app's animate handler's keyword arguments that make the same mistake
    prepare: Callable[[Path], None] | None = None  # makes what the folder holds first (a file, a link)


def _animate(*extra: str, output: str = "out.mp4") -> Callable[[Path, Path, Path], list[str]]:
    def arguments(folder: Path, image: Path, audio: Path) -> list[str]:
        target = output if output.startswith("/") else str(folder / output)
        return ["animate", "--image", str(image), "--audio", str(audio), "--size", "256", "--fps", "25",
                "-o", target, *extra]  # fmt: skip

    return arguments


def _command(*words: str) -> Callable[[Path, Path, Path], list[str]]:
    def arguments(folder: Path, image: Path, audio: Path) -> list[str]:
        return [w.format(folder=folder, image=image, audio=audio) for w in words]

    return arguments


def _symlink(folder: Path) -> None:
    (folder / "kept.mp4").write_bytes(b"the user's own file")
    (folder / "out.mp4").symlink_to(folder / "kept.mp4")


def _fifo(folder: Path) -> None:
    os.mkfifo(folder / "out.mp4")  # a named pipe: writing into it would block or feed another program


def _existing(folder: Path) -> None:
    (folder / "out.mp4").write_bytes(b"the user's own file")


CALLS: list[BadCall] = [
    BadCall("head-motion-nan", _animate("--head-motion-scale", "nan"), "--head-motion-scale", {"head_motion": "nan"}),
    BadCall("head-motion-inf", _animate("--head-motion-scale", "inf"), "--head-motion-scale",
            {"head_motion": float("inf")}),
    BadCall("head-motion-100", _animate("--head-motion-scale", "100"), "between 0 and 2", {"head_motion": 100}),
    BadCall("head-motion-negative", _animate("--head-motion-scale", "-1"), "between 0 and 2", {"head_motion": -1}),
    BadCall("mouth-huge", _animate("--mouth-scale", "1e308"), "--mouth-scale", {"mouth": 1e308}),
    BadCall("style-strength-5", _animate("--style-strength", "5"), "--style-strength", {"style_strength": 5}),
    BadCall("blink-rate-negative", _animate("--blink-rate", "-3"), "--blink-rate", {"blink_rate": -3}),
    BadCall("blink-rate-huge", _animate("--blink-rate", "1e9"), "--blink-rate", {"blink_rate": 1e9}),
    BadCall("seed-negative", _animate("--seed", "-1"), "--seed", {"seed": -1}),
    BadCall("seed-too-large", _animate("--seed", str(2**31)), "--seed", {"seed": 2**31}),
    BadCall("seed-fraction", _animate("--seed", "1.5"), "--seed", {"seed": 1.5}),
    BadCall("seed-text", _animate("--seed", "abc"), "--seed", {"seed": "abc"}),
    BadCall("temperature-nan", _animate("--temperature", "nan"), "--temperature"),
    BadCall("fps-24", _animate("--fps", "24"), "--fps", {"fps": 24}),
    BadCall("fps-fraction", _animate("--fps", "25.5"), "--fps", {"fps": 25.5}),
    BadCall("size-1000", _animate("--size", "1000"), "--size", {"size": "1000"}),
    BadCall("mode-unknown", _animate("--mode", "sideways"), "--mode", {"mode": "sideways"}),
    BadCall("renderer-unknown", _animate("--renderer", "gan"), "--renderer", {"renderer": "gan"}),
    BadCall("still-text", None, "still", {"still": "yes"}),
    BadCall("facial-map-text", None, "facial-map", {"facial_map": "yes"}),
    BadCall("style-a-number", None, "style", {"style": 5}),
    BadCall("max-seconds-nan", _animate("--max-seconds", "nan"), "--max-seconds"),
    BadCall("max-seconds-zero", _animate("--max-seconds", "0"), "--max-seconds"),
    BadCall("max-seconds-inf", _animate("--max-seconds", "inf"), "--max-seconds"),
    BadCall("max-output-pixels-negative", _animate("--max-output-pixels", "-1"), "--max-output-pixels"),
    BadCall("unknown-flag", _animate("--colour", "red"), "Unrecognized arguments: --colour"),
    BadCall("missing-audio", _command("animate", "--image", "{image}", "-o", "{folder}/out.mp4"), "--audio"),
    BadCall("learn-steps-negative", _command("learn-style", "{image}", "-o", "{folder}/s.safetensors", "--steps", "-1"),
            "--steps"),
    BadCall("learn-steps-huge", _command("learn-style", "{image}", "-o", "{folder}/s.safetensors", "--steps",
                                         "1000000000"), "--steps"),
    BadCall("learn-max-seconds-nan", _command("learn-style", "{image}", "-o", "{folder}/s.safetensors",
                                              "--max-seconds", "nan"), "--max-seconds"),
    BadCall("motion-mouth-inf", _command("motion", "--audio", "{audio}", "-o", "{folder}/m.npz", "--mouth-scale",
                                         "inf"), "--mouth-scale"),
    BadCall("evaluate-folds-negative", _command("evaluate", "style", "--references", "{folder}", "--audio", "{folder}",
                                                "-o", "{folder}/r.json", "--folds", "-1"), "--folds"),
    BadCall("evaluate-seed-text", _command("evaluate", "talking-head", "--clips", "{folder}", "-o", "{folder}/r.json",
                                           "--seed", "x"), "--seed"),
    BadCall("output-avi", _animate(output="out.avi"), "should end in .mp4"),
    BadCall("output-gif", _animate(output="out.gif"), "should end in .mp4"),
    BadCall("output-no-extension", _animate(output="out"), "should end in .mp4"),
    BadCall("output-name-too-long", _animate(output="n" * 240 + ".mp4"), "choose a shorter name"),
    BadCall("output-a-folder", _animate(output="."), "is a folder"),
    BadCall("output-folder-missing", _animate(output="missing/out.mp4"), "does not exist"),
    BadCall("output-exists", _animate(), "already exists", prepare=_existing),
    BadCall("output-a-symlink-overwrite", _animate("--overwrite"), "a link or a special file", prepare=_symlink),
    BadCall("output-a-pipe-overwrite", _animate("--overwrite"), "a link or a special file", prepare=_fifo),
    BadCall("output-report-not-json", _command("evaluate", "style", "--references", "{folder}", "--audio", "{folder}",
                                               "-o", "{folder}/r.txt"), "should end in .json"),
    BadCall("output-pack-not-safetensors", _command("learn-style", "{image}", "-o", "{folder}/s.pt"),
            "should end in .safetensors"),
]
