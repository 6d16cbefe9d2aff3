"""The layering of docs/architecture.md, checked on the source: an allow-list per package (a new
package fails until it is placed), `from apexlocal import x` counted as importing `x`, no import
cycles between modules, and heavy libraries imported lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "apexlocal"
HEAVY = {
    "torch",
    "diffusers",
    "transformers",
    "accelerate",
    "onnxruntime",
    "kokoro",
    "piper",
    "faster_whisper",
    "av",
    "numpy",
    "PIL",
    "boto3",
    "safetensors",
    "huggingface_hub",
    "librosa",
    "scipy",
}

BASE = {"errors", "settings", "timestamps", "keyfiles"}
# package (or top-level module) -> what it may import besides itself
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "timestamps": set(),
    "keyfiles": {"errors"},
    "settings": {"errors"},
    "__init__": set(),
    "__main__": {"cli"},
    "db": BASE,
    "storage": BASE,
    "webhooks": BASE,
    "models": BASE,
    "engines": BASE | {"models"},
    "telephony": BASE | {"engines", "models"},
    "accounts": BASE | {"db"},
    "jobs": BASE | {"accounts", "db", "engines", "models", "storage", "webhooks", "uploads"},
    "uploads": BASE | {"db", "storage"},
    "delivery": BASE | {"db", "jobs", "webhooks", "storage"},
    "api": BASE | {"accounts", "db", "jobs", "uploads", "delivery", "models", "storage", "webhooks"},
    "products": BASE
    | {"api", "jobs", "accounts", "db", "engines", "models", "storage", "uploads", "webhooks", "delivery", "telephony"},
    "app": BASE | {"api", "jobs", "accounts", "db", "models", "storage", "uploads", "delivery", "webhooks", "products"},
    "cli": BASE
    | {
        "app",
        "api",
        "jobs",
        "accounts",
        "db",
        "models",
        "storage",
        "uploads",
        "delivery",
        "webhooks",
        "products",
        "engines",
    },
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The apexlocal modules an import statement loads (`from apexlocal import api` loads `apexlocal.api`)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
        base = ".".join(anchor + ([base] if base else []))
    return [base] + [f"{base}.{a.name}" for a in node.names]


def _top_level(body: list[ast.stmt]) -> list[ast.AST]:
    """Statements run at import time (TYPE_CHECKING blocks excluded)."""
    out: list[ast.AST] = []
    for node in body:
        if isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                out += _top_level(node.body) + _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            out += _top_level(node.body) + _top_level(node.orelse) + _top_level(node.finalbody)
            for handler in node.handlers:
                out += _top_level(handler.body)
        else:
            out.append(node)
    return out


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    return {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for stmt in node.body
        for n in ast.walk(stmt)
    }


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module, imported at import time) for every import in the file, type-checking ones left out."""
    tree = ast.parse(path.read_text())
    module, is_package = module_name(path), path.name == "__init__.py"
    top = {id(n) for n in _top_level(tree.body)}
    typing_only = _type_checking_nodes(tree)
    return [
        (name, id(node) in top)
        for node in ast.walk(tree)
        if id(node) not in typing_only
        for name in _targets(node, module, is_package)
    ]


def _modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {t for t, _ in imports(path) if t in modules and t != name} for name, path in modules.items()}


def test_every_package_is_placed_in_the_layers():
    unplaced = sorted({layer_of(m) for m in _modules()} - set(ALLOWED))
    assert unplaced == [], f"add these to ALLOWED (and to docs/architecture.md): {unplaced}"


def test_layers_import_only_what_they_may():
    problems = []
    for name, targets in _graph().items():
        layer = layer_of(name)
        for target in targets:
            other = layer_of(target)
            if other not in (layer, "__init__") and other not in ALLOWED.get(layer, set()):
                problems.append(f"{name} imports {target}")
    assert problems == []


def test_no_import_cycles():
    graph, cycles = _graph(), []
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt == node.rsplit(".", 1)[0] or node.startswith(nxt + "."):
                continue  # a module importing its own package's __init__ is not a cycle of design
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_rules_catch_what_they_claim(tmp_path):
    sample = tmp_path / "apexlocal" / "db" / "thing.py"
    sample.parent.mkdir(parents=True)
    sample.write_text("from apexlocal import api\nfrom .. import jobs\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "apexlocal"
    try:
        found = [t for t, _ in imports(sample)]
    finally:
        PACKAGE = saved
    assert "apexlocal.api" in found and "apexlocal.jobs" in found


def test_heavy_libraries_are_imported_lazily():
    problems = []
    for path in PACKAGE.rglob("*.py"):
        for module, top in imports(path):
            if top and module.split(".")[0] in HEAVY:
                problems.append(f"{path.relative_to(PACKAGE)} imports {module} at module level")
    assert problems == []


def test_the_api_process_does_not_import_torch():
    code = (
        "import sys, apexlocal.app, apexlocal.cli; "
        "bad = sorted(m for m in ('torch', 'diffusers', 'transformers', 'PIL', 'boto3', 'huggingface_hub') "
        "if m in sys.modules); print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
