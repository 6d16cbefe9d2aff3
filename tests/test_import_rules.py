"""The layering of ARCHITECTURE.md, checked on the source:
cli -> app -> api -> jobs -> {engines, storage, webhooks, db, accounts, models} -> {settings, errors}."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "apexlocal"
HEAVY = {"torch", "diffusers", "transformers", "accelerate", "onnxruntime", "kokoro", "piper", "faster_whisper",
         "av", "numpy", "PIL", "boto3", "safetensors"}

# layer -> layers it must never import
FORBIDDEN = {
    "settings": {"app", "cli", "api", "jobs", "engines", "storage", "webhooks", "db", "accounts", "models"},
    "errors": {"app", "cli", "api", "jobs", "engines", "storage", "webhooks", "db", "accounts", "models", "settings"},
    "db": {"app", "cli", "api", "jobs", "engines", "storage", "webhooks", "accounts", "models"},
    "accounts": {"app", "cli", "api", "jobs", "engines", "storage", "webhooks", "models"},
    "storage": {"app", "cli", "api", "jobs", "engines", "webhooks", "db", "accounts", "models"},
    "webhooks": {"app", "cli", "api", "jobs", "engines", "storage", "db", "accounts", "models"},
    "models": {"app", "cli", "api", "jobs", "engines", "storage", "webhooks", "db", "accounts"},
    "engines": {"app", "cli", "api", "jobs", "db", "accounts", "storage"},
    "jobs": {"app", "cli", "api"},
    "api": {"app", "cli", "engines"},
    "app": {"cli"},
}


def layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if rel.parts else ""


def _names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module]
    return []


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


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module, imported at import time) for every import in the file."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in _top_level(tree.body)}
    return [(name, id(node) in top) for node in ast.walk(tree) for name in _names(node)]


def test_layers_import_only_downwards():
    problems = []
    for path in PACKAGE.rglob("*.py"):
        layer = layer_of(path)
        for module, _ in imports(path):
            if module.startswith("apexlocal."):
                target = module.split(".")[1]
                if target in FORBIDDEN.get(layer, set()):
                    problems.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert problems == []


def test_heavy_libraries_are_imported_lazily():
    problems = []
    for path in PACKAGE.rglob("*.py"):
        for module, top in imports(path):
            if top and module.split(".")[0] in HEAVY:
                problems.append(f"{path.relative_to(PACKAGE)} imports {module} at module level")
    assert problems == []


def test_the_api_process_does_not_import_torch():
    code = ("import sys, apexlocal.app, apexlocal.cli; "
            "bad = sorted(m for m in ('torch', 'diffusers', 'transformers', 'PIL', 'boto3') if m in sys.modules); "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
