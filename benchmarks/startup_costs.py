"""What starting a process costs: the price every CLI call, app start and subprocess test pays before any work.

    python benchmarks/startup_costs.py [--repeat 3]

Each line is the median wall time of a fresh ``python`` doing one thing, with ``python -c pass`` as
the baseline in the same run (this machine's speed varies from day to day; compare the differences).
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CASES = {
    "python (baseline)": ["-c", "pass"],
    "import stylehead": ["-c", "import stylehead"],
    "python -m stylehead --help": ["-m", "stylehead", "--help"],
    "import torch": ["-c", "import torch"],
    "import stylehead.pipeline": ["-c", "import stylehead.pipeline"],
    "load the pipeline (bundled weights)": ["-c", "from stylehead import StyleHeadPipeline as P; P.from_pretrained()"],
    "import app (builds the demo, no torch)": ["-c", "import app, sys; assert 'torch' not in sys.modules"],
    "animate 1 s of speech at 256 px (CLI)": [
        "-c",
        "import sys, tempfile; from stylehead.cli import main; from stylehead.media import read_audio, write_wav; "
        f"d = tempfile.mkdtemp(); a = write_wav(d + '/a.wav', read_audio('{EXAMPLES / 'speech.wav'}')[:16000]); "
        f"sys.exit(main(['animate', '--image', '{EXAMPLES / 'portrait.png'}', '--audio', str(a), '-o', d + '/o.mp4', "
        "'--size', '256', '--no-contact-sheet']))",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    for name, command in CASES.items():
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, *command], cwd=REPO, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
        print(f"{name:<42} {statistics.median(times):6.2f} s")


if __name__ == "__main__":
    main()
