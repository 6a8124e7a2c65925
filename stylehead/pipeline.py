"""Portrait + audio → talking-head mp4: the whole of stylehead behind one call.

    from stylehead import StyleHeadPipeline

    pipe = StyleHeadPipeline.from_pretrained()          # the bundled weights, offline
    result = pipe("portrait.png", "speech.wav", output="talking.mp4", seed=0)
    print(result.video, result.timings)
    sung = pipe("portrait.png", "song.wav", output="sung.mp4", style="singing")  # or a pack, or a video

Weights resolve as :func:`stylehead.hub.resolve_weights` says (an explicit folder or Hub id, then
``$STYLEHEAD_WEIGHTS``, then the weights inside the package). The audio becomes motion
(:class:`~stylehead.motion.audio_to_motion.AudioToMotion`, changed by a style pack when one is
given: :mod:`stylehead.style.library`), the motion moves the portrait
(:class:`~stylehead.render.warp_renderer.WarpRenderer`, or with ``renderer="neural"`` and a trained
Style-Aware Generator, :class:`~stylehead.render.neural_renderer.NeuralRenderer`), and each frame goes
straight to the encoder: memory does not grow with the audio's length.
"""

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.hub import resolve_weights
from stylehead.media import SAMPLE_RATE, VideoWriter, check_writable, read_audio, read_image
from stylehead.motion.audio_to_motion import AudioToMotion, Motion, MotionControls
from stylehead.motion.blinks import BlinkConfig
from stylehead.motion.landmark_video import resample_motion
from stylehead.render.framing import parse_size
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.style.pack import StylePack

FPS_CHOICES = (25, 30, 60)
RENDERERS = ("warp", "neural")
DEFAULT_RENDERER = "warp"  # the one that wins on the mouth region (python -m stylehead evaluate renderer; README)
GENERATOR_FOLDER = "style_aware_generator"  # the neural renderer's weights inside a weights bundle
CONTACT_SHEET_FRAMES = 12
DEFAULT_MAX_SECONDS = 600.0
DEFAULT_MAX_OUTPUT_PIXELS = 3840 * 2160  # per frame: size "original" keeps a photo's pixels, so 4K at most


@dataclass
class AnimationResult:
    """What one call produced."""

    video: Path  # the H.264 + AAC mp4
    motion: Motion  # the motion at the video's frame rate
    landmarks: np.ndarray  # (T, 68, 2) float32: where each frame's landmarks were put, output pixels
    fps: float
    size: tuple[int, int]  # (width, height)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, and "total"
    contact_sheet: Path | None = None
    notes: list[str] = field(default_factory=list)  # things the user should know (several faces, silence)
    style: StylePack | None = None  # the style used, with its reference landmarks and statistics

    @property
    def num_frames(self) -> int:
        return len(self.motion)


class StyleHeadPipeline:
    """The trained models, loaded once; call it for each portrait and audio clip."""

    def __init__(self, motion_model: AudioToMotion, weights: Path | None = None, generator=None):
        self.motion_model = motion_model
        self.weights = weights
        self.generator = generator  # a StyleAwareGenerator, or None: the neural renderer is not available

    @property
    def renderers(self) -> tuple[str, ...]:
        """The renderers this pipeline can use: ``warp`` always, ``neural`` when it has generator weights."""
        return RENDERERS if self.generator is not None else ("warp",)

    @classmethod
    def from_pretrained(
        cls, source: str | Path | None = None, generator: str | Path | None = None
    ) -> "StyleHeadPipeline":
        """Load the weights (see :func:`~stylehead.hub.resolve_weights`).

        ``generator`` is a folder with a trained Style-Aware Generator (``config.json`` and
        ``model.safetensors``, as ``train/train_generator.py`` writes it); without it, the weights
        bundle's own ``style_aware_generator/`` is used when there is one.
        """
        weights = resolve_weights(source)
        return cls(AudioToMotion.from_pretrained(weights), weights, load_generator(weights, generator))

    def save_pretrained(self, folder: str | Path) -> Path:
        """Copy the weights bundle (safetensors, configs and the model card) into ``folder``."""
        if self.weights is None:
            raise ValueError("this pipeline was built from objects, not a weights folder; nothing to copy")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for item in sorted(self.weights.iterdir()):
            if item.name.startswith((".", "__")):
                continue
            if item.is_dir():
                shutil.copytree(item, folder / item.name, dirs_exist_ok=True)
            elif item.suffix in (".json", ".safetensors", ".md"):
                shutil.copy2(item, folder / item.name)
        return folder

    def __call__(
        self,
        image: str | Path | np.ndarray,
        audio: str | Path | np.ndarray,
        output: str | Path | None = None,
        *,
        style: str | Path | StylePack | None = None,
        fps: int = 30,
        size: int | str = 512,
        mode: str = "crop",
        mouth_scale: float = 1.0,
        head_motion_scale: float = 1.0,
        blink_rate: float | None = None,
        still: bool = False,
        seed: int = 0,
        temperature: float | None = None,
        max_seconds: float | None = DEFAULT_MAX_SECONDS,
        max_output_pixels: int | None = DEFAULT_MAX_OUTPUT_PIXELS,
        overwrite: bool = False,
        contact_sheet: bool = False,
        renderer: str = DEFAULT_RENDERER,
        progress: Callable[[int, int], None] | None = None,
        style_progress: Callable[[str, int, int], None] | None = None,
    ) -> AnimationResult:
        """Animate ``image`` (a path or an (H, W, 3) uint8 RGB array) speaking ``audio``.

        ``audio`` is a path (any format :func:`~stylehead.media.read_audio` takes) or (N,) float32
        samples at 16 kHz. ``output`` is the mp4 to write (default: a new temporary folder); an
        existing file is kept unless ``overwrite``. ``progress(done, total)`` is called per frame.
        The same inputs and ``seed`` give the same video.

        ``style`` is a preset name (:func:`~stylehead.style.library.preset_names`), a style pack
        file, a :class:`~stylehead.style.pack.StylePack` or a reference video, which is learned
        first (``style_progress(stage, done, total)`` follows that). None: the default motion.
        A ``blink_rate`` given here wins over the style's. Audio longer than ``max_seconds`` and,
        with ``size="original"``, a portrait of more than ``max_output_pixels`` are refused before any
        work (None: no limit).

        ``renderer`` is ``warp`` (the one-shot warp, the default) or ``neural`` (the Style-Aware
        Generator draws the face; needs its weights, see :attr:`renderers`).
        """
        started = time.perf_counter()
        timings: dict[str, float] = {}
        notes: list[str] = []
        if fps not in FPS_CHOICES:
            raise StyleheadError(f"A frame rate of {fps} fps is not supported; use 25, 30 or 60.")
        if renderer not in RENDERERS:
            raise StyleheadError(f"There is no {renderer!r} renderer; use warp or neural.")
        if renderer not in self.renderers:
            raise StyleheadError("The neural renderer has no weights here; train them with train/train_generator.py "
                                 "and pass their folder (--generator), or use the warp renderer.")  # fmt: skip
        size = parse_size(size)
        inputs = tuple(Path(p) for p in (image, audio) if isinstance(p, (str, Path)))
        if output is None:
            output = Path(tempfile.mkdtemp(prefix="stylehead-")) / "talking_head.mp4"
        output = check_writable(output, overwrite=overwrite, inputs=inputs)
        sheet_path = contact_sheet_path(output)
        if contact_sheet:
            check_writable(sheet_path, overwrite=overwrite, inputs=inputs)

        samples = read_audio(audio, max_seconds=max_seconds) if not isinstance(audio, np.ndarray) else audio
        samples = np.asarray(samples, np.float32)
        if samples.size == 0:
            raise StyleheadError("The audio is empty; give a clip with sound in it.")
        if not np.isfinite(samples).all():
            raise StyleheadError("The audio holds samples that are not numbers (NaN or infinite); export it again.")
        if max_seconds is not None and len(samples) > max_seconds * SAMPLE_RATE:
            raise StyleheadError(f"The audio is {len(samples) / SAMPLE_RATE:.0f} s long; the limit is "
                                 f"{max_seconds:.0f} s. Cut it shorter.")  # fmt: skip
        if np.abs(samples).max() < 1e-4:
            notes.append("The audio is silent; the mouth stays closed.")
        name = Path(image).name if isinstance(image, (str, Path)) else "the portrait"
        picture = read_image(image) if not isinstance(image, np.ndarray) else image
        height, width = picture.shape[:2]
        if size == "original" and max_output_pixels is not None and width * height > max_output_pixels:
            raise StyleheadError(f"{name} is {width}x{height} pixels and size 'original' keeps them all; the limit "
                                 f"is {max_output_pixels:,} pixels a frame, so choose size 512 or 256.")  # fmt: skip
        timings["read"] = time.perf_counter() - started

        mark = time.perf_counter()
        portrait = Portrait.from_image(picture, name)
        if portrait.num_faces > 1:
            notes.append(f"{portrait.num_faces} faces were found in {name}; the largest one is animated.")
        timings["face"] = time.perf_counter() - mark

        pack = None
        if style is not None:
            from stylehead.style.library import load_style

            mark = time.perf_counter()
            pack = load_style(style, self.motion_model, progress=style_progress)
            timings["style"] = time.perf_counter() - mark
            notes += [f"The style {pack.name!r} could not learn {item}." for item in pack.not_learned]

        mark = time.perf_counter()
        frames = self._renderer(renderer, portrait, RenderConfig(mode=mode, size=size), pack)
        timings["face"] += time.perf_counter() - mark

        mark = time.perf_counter()
        controls = MotionControls(
            mouth_scale=mouth_scale, head_motion_scale=head_motion_scale, temperature=temperature, still=still,
            seed=seed, blinks=BlinkConfig(rate_per_minute=blink_rate) if blink_rate is not None else None,
        )  # fmt: skip
        motion_model = self.motion_model
        if pack is not None:
            from stylehead.style.library import styled

            motion_model, controls = styled(motion_model, pack, controls, blink_rate)
        motion = resample_motion(motion_model(samples, controls), fps)
        # The video lasts as long as the audio, to the frame (never longer: the writer cuts at the sound's end).
        count = max(1, int(len(samples) * fps // SAMPLE_RATE))
        motion = _fit_length(motion, count)
        targets = frames.targets(motion)
        timings["motion"] = time.perf_counter() - mark

        render_time = encode_time = 0.0
        sheet_at = set(np.linspace(0, count - 1, min(CONTACT_SHEET_FRAMES, count)).round().astype(int).tolist())
        sheet: list[np.ndarray] = []
        with VideoWriter(output, fps=fps, audio=samples) as writer:
            for index in range(count):
                mark = time.perf_counter()
                frame = frames.render(targets.landmarks[index], targets.head[index])
                render_time += time.perf_counter() - mark
                if contact_sheet and index in sheet_at:
                    sheet.append(frame.copy())
                mark = time.perf_counter()
                writer.write(frame)
                encode_time += time.perf_counter() - mark
                if progress is not None:
                    progress(index + 1, count)
            mark = time.perf_counter()
        encode_time += time.perf_counter() - mark  # finishing the file
        timings["render"], timings["encode"] = render_time, encode_time
        sheet_path = write_contact_sheet(sheet, sheet_path) if contact_sheet else None
        timings["total"] = time.perf_counter() - started
        return AnimationResult(output, motion, targets.landmarks, float(fps), frames.size, timings, sheet_path, notes,
                               pack)  # fmt: skip

    def _renderer(self, name: str, portrait: Portrait, config: RenderConfig, pack: StylePack | None):
        """The warp renderer, or the neural one with the style's reference shapes (the neutral preset's without one)."""
        if name == "warp":
            return WarpRenderer(portrait, config)
        import torch

        from stylehead.render.neural_renderer import NeuralRenderer
        from stylehead.style.library import load_style

        references = (pack or load_style("neutral", self.motion_model)).reference_face_points
        device = "cuda" if torch.cuda.is_available() else "cpu"
        return NeuralRenderer(portrait, self.generator, references, config, device=device)


def generator_folder(weights: Path | None, folder: str | Path | None) -> Path | None:
    """The Style-Aware Generator folder to use: ``folder`` when one is given, else the weights bundle's
    ``style_aware_generator/`` when it holds weights, else None."""
    if folder is not None:
        return Path(folder)
    if weights is None or not (weights / GENERATOR_FOLDER / "model.safetensors").exists():
        return None
    return weights / GENERATOR_FOLDER


def load_generator(weights: Path | None, folder: str | Path | None, in_channels: int | None = None):
    """The Style-Aware Generator in ``folder`` (or in ``weights/style_aware_generator``), or None when there is none.

    ``in_channels`` (default: the Style-Aware Generator's 16) is checked, so that a Style Mapping
    network given in its place is refused with a clear error.
    """
    from stylehead.render.generator import StyleAwareGenerator
    from stylehead.render.neural_inputs import INPUT_CHANNELS
    from stylehead.safe_loading import load_component

    folder = generator_folder(weights, folder)
    if folder is None:
        return None
    generator = load_component(StyleAwareGenerator, folder)  # refuses a folder without config and weights
    expected = in_channels or INPUT_CHANNELS
    if generator.config.in_channels != expected:
        raise StyleheadError(f"{folder} holds a network reading {generator.config.in_channels} channels, not "
                             f"{expected}; it is not the network asked for here.")  # fmt: skip
    return generator


def _fit_length(motion: Motion, count: int) -> Motion:
    """Cut or extend (holding the last frame) ``motion`` to ``count`` frames."""
    index = np.minimum(np.arange(count), len(motion) - 1)
    return Motion(motion.points, motion.displacement[index], motion.pose[index], motion.blink[index], motion.fps)


def contact_sheet_path(video: Path) -> Path:
    """Where the contact sheet of ``video`` goes: beside it, ``<name>.contact.jpg``."""
    return video.with_suffix(".contact.jpg")


def write_contact_sheet(frames: list[np.ndarray], path: Path, columns: int = 4, width: int = 1024) -> Path:
    """Tile frames (in time order, left to right) into one JPEG about ``width`` pixels wide."""
    import cv2

    from stylehead.media.image import write_image

    rows = -(-len(frames) // columns)
    height, frame_w = frames[0].shape[:2]
    tile_w = max(1, width // columns)
    tile_h = max(1, round(height * tile_w / frame_w))
    sheet = np.full((rows * tile_h, columns * tile_w, 3), 255, np.uint8)
    for i, frame in enumerate(frames):
        r, c = divmod(i, columns)
        sheet[r * tile_h : (r + 1) * tile_h, c * tile_w : (c + 1) * tile_w] = cv2.resize(
            frame, (tile_w, tile_h), interpolation=cv2.INTER_AREA
        )
    return write_image(path, sheet)
