"""stylehead's web demo: ``python app.py`` or ``gradio app.py`` (a Hugging Face Space runs it the same way).

UI only: the work is done by :class:`stylehead.StyleHeadPipeline` (loaded once, on the first
request) and :func:`stylehead.style.learn.learn_style`. Importing this module builds ``demo`` and
nothing else. Limits come from the environment (:class:`AppLimits`). Each request writes into its own
folder under the system's temporary folder; a failed request's folder is removed at once, and folders
older than ``STYLEHEAD_KEEP_MINUTES`` or beyond the newest ``STYLEHEAD_MAX_KEPT_REQUESTS`` are removed
as new requests come in. Styles a visitor learns live in that visitor's session only; the presets and
styles on the Hub are the only things users share. Files come in only as uploads (gradio refuses any other
path), a style is only a preset, one this session learned or a Hub repo id (``owner/name``, fetched from the
Hub, never read as a path), and the app is never shared publicly unless launched so.
``STYLEHEAD_GENERATOR`` names a trained Style-Aware Generator folder, which offers the neural renderer.
Every control is checked before any work, for API callers too (the events take their inputs
unprocessed, so the page's slider limits are not what protects the app). SIGTERM (a Space restarting,
a container stopping) removes the folders of the requests still running and their encoders.
"""

import contextlib
import functools
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr

from live_app import LiveSessions, LiveTab, build_live_tab
from stylehead.errors import StyleheadError
from stylehead.hub import resolve_weights
from stylehead.options import AnimateOptions, option_specs
from stylehead.weights_index import WeightsIndex, generator_folder
from stylehead.weights_index import preset_names as bundle_preset_names

EXAMPLES = Path(__file__).resolve().parent / "examples"
NO_STYLE = "none (default motion)"
DEFAULTS = AnimateOptions()
OPTION_SPECS = {spec.name: spec for spec in option_specs()}


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class AppLimits:
    """What one request may ask for (environment variables override the defaults)."""

    max_audio_seconds: float = field(default_factory=lambda: _env("STYLEHEAD_MAX_AUDIO_SECONDS", 120))
    max_image_pixels: int = field(default_factory=lambda: int(_env("STYLEHEAD_MAX_IMAGE_PIXELS", 25_000_000)))
    max_reference_seconds: float = field(default_factory=lambda: _env("STYLEHEAD_MAX_REFERENCE_SECONDS", 60))
    # size "original" keeps the portrait's pixels: 1080p-sized frames at most
    max_output_pixels: int = field(default_factory=lambda: int(_env("STYLEHEAD_MAX_OUTPUT_PIXELS", 1920 * 1080)))
    concurrency: int = field(default_factory=lambda: int(_env("STYLEHEAD_CONCURRENCY", 1)))  # jobs at once
    queue_size: int = field(default_factory=lambda: int(_env("STYLEHEAD_QUEUE_SIZE", 16)))  # then "queue full"
    keep_minutes: float = field(default_factory=lambda: _env("STYLEHEAD_KEEP_MINUTES", 30))
    max_kept_requests: int = field(default_factory=lambda: int(_env("STYLEHEAD_MAX_KEPT_REQUESTS", 64)))
    max_live_sessions: int = field(default_factory=lambda: int(_env("STYLEHEAD_MAX_LIVE_SESSIONS", 2)))  # Live tab


LIMITS = AppLimits()
OUTPUT_ROOT = Path(tempfile.gettempdir()) / "stylehead-app"


RUNNING: set[Path] = set()  # the folders of the requests being worked on (removed on SIGTERM)
RUNNING_LOCK = threading.Lock()


@functools.cache
def get_pipeline():
    from stylehead import StyleHeadPipeline

    return StyleHeadPipeline.from_pretrained(generator=os.environ.get("STYLEHEAD_GENERATOR") or None)


def renderer_choices() -> list[str]:
    """``warp``, plus ``neural`` when Style-Aware Generator weights are set up (checked without loading them)."""
    folder = generator_folder(resolve_weights(), os.environ.get("STYLEHEAD_GENERATOR") or None)
    return ["warp", "neural"] if folder is not None and (folder / "model.safetensors").exists() else ["warp"]


def request_folder() -> Path:
    """A new folder for one request's files, after removing those past the keep time or the kept count."""
    OUTPUT_ROOT.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 60 * LIMITS.keep_minutes
    folders = []
    for old in OUTPUT_ROOT.iterdir():
        with contextlib.suppress(FileNotFoundError):  # another request removed it first
            folders.append((old.stat().st_mtime, old))
    folders.sort(reverse=True)  # newest first
    for index, (mtime, old) in enumerate(folders):
        if mtime < cutoff or index >= LIMITS.max_kept_requests - 1:
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix="request-", dir=OUTPUT_ROOT))
    with RUNNING_LOCK:
        RUNNING.add(folder)
    return folder


@contextlib.contextmanager
def user_errors(made: list[Path] | None = None) -> Iterator[None]:
    """A StyleheadError becomes a gr.Error (its sentence on the page); a failed request's folders are removed.
    Either way the request's folders are no longer running."""
    try:
        yield
    except BaseException as err:
        for folder in made or []:
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(err, StyleheadError):
            raise gr.Error(str(err)) from None
        raise
    finally:
        with RUNNING_LOCK:
            RUNNING.difference_update(made or [])


def stop(signum=None, frame=None) -> None:
    """SIGTERM: remove the folders of the requests still running and stop their encoders, then exit."""
    from stylehead.media.video import stop_all_encoders

    stop_all_encoders()
    with RUNNING_LOCK:
        for folder in RUNNING:
            shutil.rmtree(folder, ignore_errors=True)
    sys.stderr.write("stylehead app: stopped (SIGTERM); requests still running were discarded.\n")
    os._exit(128 + signal.SIGTERM)


def _check_choice(value, what: str, allowed: type) -> None:
    """A non-file input an API caller sent: of the expected kind, or one sentence."""
    if value is not None and not isinstance(value, allowed):
        raise StyleheadError(f"{what} must be {'on or off' if allowed is bool else 'text'} (got {str(value)[:40]!r}).")


@functools.cache
def preset_names() -> list[str]:
    """The presets of the weights bundle the app serves (read from its manifest; no model is loaded)."""
    return bundle_preset_names(WeightsIndex.read(resolve_weights()).file("presets"))


def style_choices(session_styles: dict[str, str]) -> list[str]:
    return [NO_STYLE, *preset_names(), *(f"learned: {name}" for name in session_styles)]


def _resolve_style(choice: str | None, session_styles: dict[str, str], hub_style: str | None = None):
    """A style from the Hub (which wins), a preset name or this session's learned pack; never a path the request
    names (another visitor's files)."""
    if hub_style and str(hub_style).strip():
        from stylehead.style.library import load_hub_style

        return load_hub_style(str(hub_style).strip(), get_pipeline().style_models)
    if not choice or choice == NO_STYLE:
        return None
    if choice.startswith("learned: "):
        name = choice.removeprefix("learned: ")
        if name not in session_styles or not Path(session_styles[name]).exists():
            raise StyleheadError(f"The style {name!r} is no longer here; learn it again.")
        return session_styles[name]
    if choice not in preset_names():
        raise StyleheadError(f"There is no style {str(choice)[:60]!r}; pick one from the list.")
    return choice


def _gallery(pack) -> list[tuple]:
    from stylehead.style.preview import reference_maps

    return reference_maps(pack) if pack is not None else []


def control(name: str, **overrides):
    """The Gradio control of one :class:`~stylehead.options.AnimateOptions` field, made from its declaration."""
    spec = OPTION_SPECS[name]
    common = {"label": spec.label, "info": spec.help, **overrides}
    if spec.kind is bool:
        return gr.Checkbox(value=spec.default, **common)
    if spec.choices is not None:
        return gr.Radio(common.pop("choices", list(spec.choices)), value=common.pop("value", spec.default), **common)
    if spec.optional or spec.kind is int:  # an empty box means the style's (or the model's) own value
        return gr.Number(value=spec.default, minimum=spec.low, maximum=spec.high, step=spec.step,
                         precision=0 if spec.kind is int else None, **common)  # fmt: skip
    return gr.Slider(spec.low, spec.high, value=spec.default, step=spec.step, **common)


def _options(**values) -> AnimateOptions:
    """The controls as the page (or an API caller) sent them → checked options; whole numbers for integer options."""
    for spec in OPTION_SPECS.values():
        if spec.kind is int and spec.name in values:
            values[spec.name] = _whole(values[spec.name])
    return AnimateOptions(**values).validate()


def _whole(value):
    """A whole number sent as a float or as text (``30.0``, ``"30"``) → int; anything else as it came (the
    options' check then names what is wrong with it)."""
    if isinstance(value, bool) or not isinstance(value, (float, str)):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if math.isfinite(number) and number.is_integer() else value


def _path(value) -> str | None:
    """A file input as gradio sends it unprocessed (a path, or FileData / VideoData as a dict) → its path.

    The events take their inputs unprocessed so that stylehead's own readers, which explain what is
    wrong with a file in one sentence, are the first to open it.
    """
    if isinstance(value, dict):
        return _path(value.get("video")) if "video" in value else value.get("path")
    return str(value) if value else None


def _check_image(image: str | None) -> None:
    if not image:
        raise StyleheadError("Upload a portrait first.")
    from stylehead.media import read_image

    read_image(image, max_pixels=LIMITS.max_image_pixels)  # refused before decoding when too large


def _learn(video: str, name: str | None, session_styles: dict[str, str], folder: Path, progress):
    """Learn a style from ``video`` into ``folder``; returns (pack, pack path, updated session styles)."""
    from stylehead.style.learn import LearnStyleConfig, learn_style

    def report(stage: str, done: int, total: int) -> None:
        progress(done / max(total, 1), desc=f"Learning the style: {stage}")

    name = (name or "").strip() or Path(video).stem
    pack = learn_style(video, get_pipeline().style_models, name=name,
                       config=LearnStyleConfig(max_seconds=LIMITS.max_reference_seconds), progress=report)  # fmt: skip
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:60] or "style"
    path = pack.save(folder / f"{safe}.safetensors")
    return pack, path, {**session_styles, name: str(path)}


def animate(image, audio, style=NO_STYLE, style_video=None, head_motion=DEFAULTS.head_motion_scale,
            mouth=DEFAULTS.mouth_scale, blink_rate=DEFAULTS.blink_rate, still=DEFAULTS.still, fps=DEFAULTS.fps,
            size=DEFAULTS.size, mode=DEFAULTS.mode, seed=DEFAULTS.seed, facial_map=False, session_styles=None,
            renderer=None, style_strength=DEFAULTS.style_strength, hub_style=None,
            progress=gr.Progress()):  # noqa: B008 (gradio's way)  # fmt: skip
    """Portrait + audio (+ style) → talking-head mp4, the style's reference maps, the facial-map video.

    The style is the video to learn from when there is one, else the Hub repo id ``hub_style`` when given, else
    the one picked in the list.

    Every input after the audio has a default (the API's callers may give the portrait and the audio alone);
    the controls' defaults are :class:`~stylehead.options.AnimateOptions`' (an empty blink rate: the style's own).
    """
    session_styles = dict(session_styles or {})
    image, audio, style_video = _path(image), _path(audio), _path(style_video)
    made: list[Path] = []
    with user_errors(made):
        _check_choice(style, "The style", str)
        _check_choice(facial_map, "The facial-map option", bool)
        _check_choice(renderer, "The renderer", str)
        options = _options(head_motion_scale=head_motion, mouth_scale=mouth, blink_rate=blink_rate, still=still,
                           fps=fps, size=size, mode=mode, seed=seed, renderer=renderer or DEFAULTS.renderer,
                           style_strength=style_strength)  # fmt: skip
        _check_image(image)
        if not audio:
            raise StyleheadError("Upload or record some audio first.")
        from stylehead.media import check_duration

        check_duration(audio, LIMITS.max_audio_seconds)  # before a style is learned: refused in a second
        chosen = _resolve_style(style, session_styles, hub_style) if not style_video else None
        folder = request_folder()
        made.append(folder)
        pack = None
        if style_video:
            pack, _, session_styles = _learn(style_video, None, session_styles, folder, progress)
        chosen = pack or chosen

        def rendered(done: int, total: int) -> None:
            progress(done / max(total, 1), desc="Rendering")

        result = get_pipeline()(
            image, audio, folder / "talking_head.mp4", options, style=chosen, max_seconds=LIMITS.max_audio_seconds,
            max_output_pixels=LIMITS.max_output_pixels, progress=rendered,
        )  # fmt: skip
        map_video = None
        if facial_map:
            from stylehead.media import read_audio
            from stylehead.render.facial_map_video import write_landmark_video

            map_video = write_landmark_video(result.motion, read_audio(audio), folder / "facial_map.mp4",
                                             fps=result.fps, size=256)  # fmt: skip
    notes = "\n".join(f"- {note}" for note in result.notes)
    took = result.timings["total"]
    summary = f"{result.num_frames / result.fps:.1f} s of video in {took:.1f} s" + (f"\n{notes}" if notes else "")
    choices = style_choices(session_styles)
    return (str(result.video), _gallery(result.style), str(map_video) if map_video else None, summary,
            session_styles, gr.update(choices=choices))  # fmt: skip


def learn_style(video, name=None, session_styles=None, progress=gr.Progress()):  # noqa: B008 (gradio's way)
    """Reference video → style pack (downloadable), its reference maps and what was learned."""
    session_styles = dict(session_styles or {})
    video = _path(video)
    made: list[Path] = []
    with user_errors(made):
        if not video:
            raise StyleheadError("Upload a video of someone talking or singing first.")
        _check_choice(name, "The style's name", str)
        made.append(request_folder())
        pack, path, session_styles = _learn(video, name, session_styles, made[0], progress)
    std = ", ".join(f"{v:.1f}" for v in pack.pose_std[:3])
    lines = [
        f"**{pack.name}**, learned from {pack.source}",
        f"- head pose std (pitch, yaw, roll): {std} degrees; speed {pack.pose_speed:.1f} deg/s",
        f"- blinks: {pack.blink_rate_per_minute:.0f} per minute, {pack.blink_duration:.2f} s each",
        *(f"- learned: {item}" for item in pack.learned),
        *(f"- not learned: {item}" for item in pack.not_learned),
    ]
    choices = style_choices(session_styles)
    return (str(path), _gallery(pack), "\n".join(lines), session_styles,
            gr.update(choices=choices, value=f"learned: {pack.name}"))  # fmt: skip


def preview(image, mode, size):
    """The first frame as it will be framed (no motion yet): a quick check before generating."""
    image = _path(image)
    if not image:
        return None
    with user_errors():
        _check_image(image)
        from stylehead.media import read_image
        from stylehead.render.framing import parse_size
        from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer

        renderer = WarpRenderer(Portrait.from_image(read_image(image), Path(image).name),
                                RenderConfig(mode=mode, size=parse_size(str(size))))  # fmt: skip
        return renderer.canvas


def show_style(choice, session_styles):
    """The reference maps of the style picked in the dropdown."""
    with user_errors():
        path = _resolve_style(choice, dict(session_styles or {}))
        if path is None:
            return []
        from stylehead.style.library import load_style

        return _gallery(load_style(path, get_pipeline().style_models))


def open_live_session(image, style, session_styles):
    """The Live tab's Start: portrait + style → a stylehead LiveSession (256×256 crop, 25 fps) and notes for the
    visitor; a wrong input raises StyleheadError with one sentence. The style list also takes a Hub repo id
    typed into it (``owner/name``), as the Animate tab's Hub field does."""
    from stylehead.style.sharing import HubStyle

    image = _path(image)
    _check_choice(style, "The style", str)
    _check_image(image)
    listed = not style or style == NO_STYLE or str(style).startswith("learned: ") or style in preset_names()
    hub = None if listed or HubStyle.parse(str(style).strip()) is None else str(style).strip()
    chosen = _resolve_style(None if hub else style, dict(session_styles or {}), hub)
    session = get_pipeline().live_session(image, style=chosen, size="256", mode="crop", fps=25)
    return session, list(getattr(session, "notes", []))


def close_live_session(request: gr.Request) -> None:
    LIVE.sessions.close_visitor(request.session_hash)


LIVE = LiveTab(LiveSessions(LIMITS.max_live_sessions, max_seconds=LIMITS.max_audio_seconds), open_live_session)


def build_demo() -> gr.Blocks:
    # gradio's own copies of uploads and outputs are removed on the same schedule as the request folders
    keep = max(60, int(60 * LIMITS.keep_minutes))
    with gr.Blocks(title="stylehead", delete_cache=(max(60, keep // 2), keep)) as demo:
        session_styles = gr.State({})
        gr.Markdown(
            "# stylehead\nOne portrait, an audio clip and a style → a talking head. "
            "An open implementation of *Style Transfer for 2D Talking Head Animation* (arXiv 2303.09799), "
            "running on this CPU."
        )
        with gr.Tab("Animate"):
            with gr.Row():
                with gr.Column():
                    image = gr.Image(
                        label="Portrait (one face)",
                        type="filepath",
                        sources=["upload", "clipboard"],
                        elem_id="portrait",
                    )
                    audio = gr.Audio(
                        label="Speech or singing", type="filepath", sources=["upload", "microphone"], elem_id="audio"
                    )
                    style = gr.Dropdown(style_choices({}), value=NO_STYLE, label="Style", elem_id="style")
                    hub_style = gr.Textbox(label="…or a style from the Hugging Face Hub (optional)",
                                           placeholder="owner/name or owner/name@revision",
                                           elem_id="hub_style")  # fmt: skip
                    style_video = gr.Video(label="…or learn the style of a video now (optional)", sources=["upload"])
                    style_strength = control("style_strength")
                    with gr.Accordion("Controls", open=False):
                        head_motion, mouth, blink_rate, still = (control(name) for name in
                                                                 ("head_motion_scale", "mouth_scale", "blink_rate",
                                                                  "still"))  # fmt: skip
                        with gr.Row():
                            fps, size, mode = (control(name) for name in ("fps", "size", "mode"))
                        seed = control("seed")
                        facial_map = gr.Checkbox(label="Also make the facial-map video")
                        renderers = renderer_choices()
                        renderer = control("renderer", choices=renderers, value=DEFAULTS.renderer,
                                           interactive=len(renderers) > 1)  # fmt: skip
                    generate = gr.Button("Generate", variant="primary", elem_id="generate")
                with gr.Column():
                    first_frame = gr.Image(label="First frame (framing preview)", interactive=False)
                    video = gr.Video(label="Result", interactive=False, elem_id="result")
                    summary = gr.Markdown()
                    references = gr.Gallery(label="Style reference images (landmarks)", columns=4, height=200)
                    map_video = gr.Video(label="Facial map", interactive=False)
            gr.Examples([[str(EXAMPLES / "portrait.png"), str(EXAMPLES / "speech.wav")]], [image, audio])
        with gr.Tab("Learn a style"), gr.Row():
            with gr.Column():
                reference = gr.Video(label="A video of one person talking or singing", sources=["upload"])
                name = gr.Textbox(label="Name of the style")
                learn = gr.Button("Learn the style", variant="primary")
            with gr.Column():
                pack_file = gr.File(label="Style pack (.safetensors)", interactive=False)
                learned_maps = gr.Gallery(label="Style reference images (landmarks)", columns=4, height=200)
                learned_text = gr.Markdown()
        with gr.Tab("Live"):
            build_live_tab(LIVE, session_styles, style_choices, NO_STYLE, EXAMPLES / "portrait.png")
        for trigger in (image.change, mode.change, size.change):
            trigger(preview, [image, mode, size], first_frame, api_visibility="private", preprocess=False)
        style.change(show_style, [style, session_styles], references, api_visibility="private")
        generate.click(
            animate,
            [image, audio, style, style_video, head_motion, mouth, blink_rate, still, fps, size, mode, seed,
             facial_map, session_styles, renderer, style_strength, hub_style],
            [video, references, map_video, summary, session_styles, style],
            api_name="animate",
            preprocess=False,
        )  # fmt: skip
        learn.click(learn_style, [reference, name, session_styles],
                    [pack_file, learned_maps, learned_text, session_styles, style], api_name="learn_style",
                    preprocess=False)  # fmt: skip
        demo.unload(close_live_session)  # the tab was closed: its live session ends at once
    demo.queue(max_size=LIMITS.queue_size, default_concurrency_limit=LIMITS.concurrency)
    return demo


demo = build_demo()

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    # share=False: never a public gradio.live link, whatever GRADIO_SHARE says
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), show_error=True, share=False)
