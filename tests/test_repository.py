"""Repository validation: what hassfest and the HACS action check for a custom integration.

These checks read the files as a reviewer would, so a broken manifest, an unknown hacs.json
key or a translation the code uses but `translations/en.json` lacks fails the suite.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any

from PIL import Image
import pytest

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "tesla_fleet_direct"
MANIFEST = INTEGRATION / "manifest.json"
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}
IOT_CLASSES = {
    "assumed_state",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
    "calculated",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
PLATFORMS = {
    "binary_sensor",
    "button",
    "climate",
    "cover",
    "device_tracker",
    "lock",
    "media_player",
    "number",
    "select",
    "sensor",
    "switch",
    "update",
}


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _translations() -> dict[str, Any]:
    data: dict[str, Any] = _json(INTEGRATION / "translations" / "en.json")
    return data


def _lookup(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _python_files() -> Iterator[Path]:
    yield from sorted(
        p for p in INTEGRATION.rglob("*.py") if "api" not in p.relative_to(INTEGRATION).parts
    )


def _kwarg(call: ast.Call, name: str) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            value = keyword.value.value
            return value if isinstance(value, str) else None
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


class _FlowKeyCollector(ast.NodeVisitor):
    """Collects the translation keys a module uses, by the section they belong in."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self._section: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
        section = "options" if any("OptionsFlow" in b for b in bases) else "config"
        if any("SubentryFlow" in b for b in bases):
            section = "config_subentries"
        self._section.append(section)
        self.generic_visit(node)
        self._section.pop()

    @property
    def section(self) -> str:
        return self._section[-1] if self._section else "config"

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        if name in {"async_show_form", "async_show_menu", "async_external_step"}:
            if step := _kwarg(node, "step_id"):
                self.keys.add(f"{self.section}.step.{step}")
        elif name in {"async_abort", "async_update_reload_and_abort"}:
            if reason := _kwarg(node, "reason"):
                self.keys.add(f"{self.section}.abort.{reason}")
        elif name == "_abort_if_unique_id_configured":
            self.keys.add(f"{self.section}.abort.already_configured")
        elif name == "_abort_if_unique_id_mismatch":
            reason = _kwarg(node, "reason") or "unique_id_mismatch"
            self.keys.add(f"{self.section}.abort.{reason}")
        elif name == "async_create_issue":
            if key := _kwarg(node, "translation_key"):
                self.keys.add(f"issues.{key}")
        elif name == "FailureMessages":
            # update_failures.py names each product's poll-failure messages in one place.
            for keyword in node.keywords:
                if keyword.arg != "product" and isinstance(keyword.value, ast.Constant):
                    self.keys.add(f"exceptions.{keyword.value.value}.message")
        elif _kwarg(node, "translation_domain") is not None or name.endswith(("Error", "Failed")):
            if key := _kwarg(node, "translation_key"):
                self.keys.add(f"exceptions.{key}.message")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_function(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Reauth and reconfigure end with HA's default abort reasons.
        if node.name == "async_step_reauth":
            self.keys.add(f"{self.section}.abort.reauth_successful")
        elif node.name == "async_step_reconfigure":
            self.keys.add(f"{self.section}.abort.reconfigure_successful")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        # reason = "invalid_client" if ... else "code_rejected"; later async_abort(reason=reason)
        if any(isinstance(t, ast.Name) and t.id == "reason" for t in node.targets):
            values = (
                [node.value.body, node.value.orelse]
                if isinstance(node.value, ast.IfExp)
                else [node.value]
            )
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    self.keys.add(f"{self.section}.abort.{value.value}")
        # errors["base"] = "invalid_auth"
        for target in node.targets:
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "errors"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                self.keys.add(f"{self.section}.error.{node.value.value}")
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        # errors={"base": "cannot_connect"}
        for key, value in zip(node.keys, node.values, strict=True):
            if (
                isinstance(key, ast.Constant)
                and key.value == "base"
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                self.keys.add(f"{self.section}.error.{value.value}")
        self.generic_visit(node)


def _used_translation_keys() -> set[str]:
    keys: set[str] = set()
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        collector = _FlowKeyCollector()
        collector.visit(tree)
        keys |= collector.keys
        if path.stem in PLATFORMS:
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and (key := _kwarg(node, "translation_key")):
                    if _call_name(node).endswith(("Error", "Failed")):
                        continue
                    keys.add(f"entity.{path.stem}.{key}")
    return keys


def test_manifest_key_order_and_required_keys() -> None:
    manifest = _json(MANIFEST)
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"], "manifest must start with domain, then name"
    assert keys[2:] == sorted(keys[2:]), "manifest keys after domain and name must be sorted"
    for required in (
        "codeowners",
        "config_flow",
        "dependencies",
        "documentation",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "requirements",
        "version",
    ):
        assert required in manifest, f"manifest lacks {required}"
    assert manifest["domain"] == INTEGRATION.name
    assert manifest["config_flow"] is True
    assert {"application_credentials", "http"} <= set(manifest["dependencies"])
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] in INTEGRATION_TYPES
    assert SEMVER.match(manifest["version"]), "version must be semver"
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    assert all(isinstance(req, str) and "==" in req for req in manifest["requirements"])


def test_hacs_json_has_only_known_keys_and_the_tested_version() -> None:
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS, f"unknown hacs.json keys: {set(hacs) - HACS_KEYS}"
    assert hacs["name"] == _json(MANIFEST)["name"]
    pinned = re.search(
        r"^homeassistant==(\S+)$", (ROOT / "requirements_test.txt").read_text(), re.MULTILINE
    )
    assert pinned is not None, "requirements_test.txt must pin homeassistant"
    assert hacs["homeassistant"] == pinned.group(1)


@pytest.mark.parametrize(("name", "size"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_brand_icons(name: str, size: int) -> None:
    with Image.open(INTEGRATION / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)


def test_translations_cover_every_key_the_code_uses() -> None:
    translations = _translations()
    missing = sorted(key for key in _used_translation_keys() if _lookup(translations, key) is None)
    assert not missing, f"translations/en.json lacks: {missing}"


def test_every_entity_translation_key_has_an_icon_or_device_class() -> None:
    """Keys under icons.json must name entities that exist in the translations."""
    icons_path = INTEGRATION / "icons.json"
    if not icons_path.exists():
        pytest.skip("no icons.json yet")
    icons = _json(icons_path)
    translations = _translations()
    for platform, entries in icons.get("entity", {}).items():
        for key in entries:
            assert _lookup(translations, f"entity.{platform}.{key}") is not None, (
                f"icons.json names entity.{platform}.{key}, which has no translation"
            )


# Home Assistant's exceptions that reach the user; the integration's own subclasses are added.
HA_ERRORS = {
    "HomeAssistantError",
    "ServiceValidationError",
    "ConfigEntryError",
    "ConfigEntryNotReady",
    "ConfigEntryAuthFailed",
    "UpdateFailed",
}


def _ha_error_names(trees: dict[Path, ast.Module]) -> set[str]:
    names = set(HA_ERRORS)
    classes = [n for tree in trees.values() for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        before = len(names)
        for node in classes:
            bases = {
                b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
            }
            if bases & names:
                names.add(node.name)
        grew = len(names) > before
    return names


def test_every_platform_sets_parallel_updates() -> None:
    """Platforms must say how many updates/commands may run at once (quality scale)."""
    lacking = []
    for platform in sorted(PLATFORMS):
        tree = ast.parse((INTEGRATION / f"{platform}.py").read_text(encoding="utf-8"))
        assigned = {
            target.id
            for node in tree.body
            if isinstance(node, (ast.Assign, ast.AnnAssign))
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        if "PARALLEL_UPDATES" not in assigned:
            lacking.append(platform)
    assert not lacking, f"platforms without PARALLEL_UPDATES: {lacking}"


def test_home_assistant_errors_are_translated() -> None:
    """Every Home Assistant error the integration creates carries a translation key."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _python_files()}
    names = _ha_error_names(trees)
    untranslated = []
    for path, tree in trees.items():
        where = path.relative_to(INTEGRATION)
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name):
                if node.exc.id in names:
                    untranslated.append(f"{where}:{node.lineno} raise {node.exc.id}")
            elif isinstance(node, ast.Call) and _call_name(node) in names:
                given = {keyword.arg for keyword in node.keywords}
                if not {"translation_domain", "translation_key"} <= given:
                    untranslated.append(f"{where}:{node.lineno} {_call_name(node)}(...)")
    assert not untranslated, f"errors without translation_domain/translation_key: {untranslated}"
