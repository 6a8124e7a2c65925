"""The package's layers: every import points down the stack, and none hides inside a function to dodge a cycle."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "stylehead"
# bottom to top; a module may import its own layer and those below it
LAYERS = (
    ("errors", "correlation", "easing", "hub", "weights_index", "safe_loading", "options"),
    ("media",),
    ("face",),
    ("audio",),
    ("motion",),
    ("render",),
    ("style",),
    ("live",),
    ("pipeline",),
    ("batch",),
    ("evaluation",),
    ("cli", "__main__", "__init__"),
)
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}
LAZY_ALLOWED = ("cli.py", "__init__.py")  # the command line and `import stylehead` load heavy parts on first use


def part(module: str) -> str:
    """The folder or top-level module of ``stylehead.x.y`` (``x``)."""
    return module.split(".")[1] if module.count(".") else "__init__"


def imports(path: Path) -> list[tuple[str, bool]]:
    """(stylehead module imported, whether the import is inside a function) for every import in ``path``."""
    tree = ast.parse(path.read_text())
    nested = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
              for n in ast.walk(f)}  # fmt: skip
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stylehead"):
            found.append((node.module, id(node) in nested))
        elif isinstance(node, ast.Import):
            found += [(a.name, id(node) in nested) for a in node.names if a.name.startswith("stylehead")]
    return found


def test_every_import_points_down_the_stack():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        own = relative.parts[0].removesuffix(".py")
        assert own in LEVEL, f"{relative} is in no layer; add it to LAYERS"
        for module, _ in imports(path):
            target = part(module)
            if module != "stylehead" and LEVEL[target] > LEVEL[own]:
                upward.append(f"{relative} imports {module}")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_function_hides_an_import_of_the_package():
    hidden = [f"{path.relative_to(PACKAGE)}: {module}" for path in sorted(PACKAGE.rglob("*.py"))
              if path.name not in LAZY_ALLOWED or path.parent != PACKAGE
              for module, inside in imports(path) if inside]  # fmt: skip
    assert not hidden, "imports inside functions:\n" + "\n".join(hidden)


def test_the_layer_test_catches_an_upward_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from stylehead.pipeline import StyleHeadPipeline\n")
    assert imports(probe) == [("stylehead.pipeline", True)]
    assert LEVEL[part("stylehead.pipeline")] > LEVEL["motion"]


def test_render_takes_motion_as_data():
    """The renderer reads Motion and nothing else of the motion layer: no model, no generation."""
    reads = {module for path in sorted((PACKAGE / "render").rglob("*.py")) for module, _ in imports(path)
             if module.startswith("stylehead.motion")}  # fmt: skip
    assert reads <= {"stylehead.motion.data"}, reads


def _is_submodule(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent is a module, not a package
        return False


def test_every_import_of_the_package_resolves_in_scripts_tests_and_the_app():
    """Scripts run in their own process (train/, benchmarks/, tools/): a name moved in the package must not
    leave them importing it from where it was."""
    import importlib

    repo = PACKAGE.parent
    scripts = [*repo.glob("train/*.py"), *repo.glob("benchmarks/*.py"), *repo.glob("tools/*.py"),
               *repo.glob("tests/*.py"), repo / "app.py"]  # fmt: skip
    missing = []
    for path in scripts:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stylehead"):
                module = importlib.import_module(node.module)
                missing += [f"{path.relative_to(repo)}:{node.lineno}: {node.module}.{alias.name}"
                            for alias in node.names if not hasattr(module, alias.name)
                            and not _is_submodule(f"{node.module}.{alias.name}")]  # fmt: skip
    assert not missing, "\n".join(missing)
