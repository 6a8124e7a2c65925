"""The docs' figures are their reports' (tools/doc_figures.py); the README is a short guide with its picture."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "tools" / "doc_figures.py"), "--check", "--root", str(root)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_every_doc_figure_matches_its_report():
    result = check(REPO)
    assert result.returncode == 0, result.stdout
    count = int(re.search(r"(\d+) figures", result.stdout)[1])
    assert count >= 100  # the README's headline table and docs/evaluation.md


def test_a_figure_edited_by_hand_fails_the_check(tmp_path):
    copy = tmp_path / "repo"
    (copy / "docs").mkdir(parents=True)
    shutil.copytree(REPO / "docs" / "reports", copy / "docs" / "reports")
    readme = (REPO / "README.md").read_text()
    figure = re.search(r"<!-- fig lipsync\.json:summary/model/mouth_corr \.3f -->([\d.]+)<!-- /fig -->", readme)
    edited = readme.replace(figure.group(0), figure.group(0).replace(f"-->{figure[1]}<!--", "-->0.650<!--"), 1)
    (copy / "README.md").write_text(edited)
    result = check(copy)
    assert result.returncode == 1
    assert f"lipsync.json:summary/model/mouth_corr is {figure[1]} in the report, 0.650 in the text" in result.stdout


def test_the_readme_is_a_short_guide_with_its_picture_and_two_commands():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 180
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme):
        assert (REPO / image).is_file() and (REPO / image).stat().st_size < 300_000, image
    assert "pip install -r requirements.txt -e . && python -m stylehead animate" in readme and "python app.py" in readme
    assert "python -m pytest" in readme
    ci = (REPO / ".ci" / "run").read_text()
    assert "python -m pytest\n" in ci  # CI runs the README's test command exactly
