"""The client package stays a library: nothing in it imports Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path

from custom_components.tesla_fleet_direct import api

PACKAGE = Path(api.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Relative imports may not climb out of the package into the integration.
                depth = len(path.relative_to(PACKAGE).parts) - 1
                if node.level > depth + 1:
                    names.add("." * node.level + (node.module or ""))
            elif node.module:
                names.add(node.module)
    return names


def test_no_module_imports_home_assistant_or_the_integration() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    offending = {
        str(path.relative_to(PACKAGE)): sorted(
            name
            for name in _imports(path)
            if name.split(".")[0] == "homeassistant" or name.startswith(("custom_components", ".."))
        )
        for path in files
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_checker_sees_a_home_assistant_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import homeassistant\nfrom homeassistant.core import HomeAssistant\n", encoding="utf-8"
    )
    assert _imports(sample) == {"homeassistant", "homeassistant.core"}


def test_every_public_name_is_exported() -> None:
    missing = [name for name in api.__all__ if not hasattr(api, name)]
    assert missing == []
