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

from homeassistant.const import Platform
from homeassistant.helpers import config_entry_oauth2_flow, config_validation as cv
from PIL import Image
import probatio
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


def _error_helpers(tree: ast.Module) -> set[str]:
    """Functions that build a Home Assistant error from their first argument as its key.

    `def _invalid(key, **placeholders): return ServiceValidationError(translation_key=key, ...)`
    makes `_invalid("invalid_pin")` use `exceptions.invalid_pin`.
    """
    helpers = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.args.args:
            continue
        first = node.args.args[0].arg
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and _call_name(call).endswith(("Error", "Failed")):
                for keyword in call.keywords:
                    value = keyword.value
                    if keyword.arg == "translation_key" and isinstance(value, ast.Name):
                        if value.id == first:
                            helpers.add(node.name)
    return helpers


class _FlowKeyCollector(ast.NodeVisitor):
    """Collects the translation keys a module uses, by the section they belong in."""

    def __init__(self, error_helpers: set[str] | None = None) -> None:
        self.keys: set[str] = set()
        self._section: list[str] = []
        self._error_helpers = error_helpers or set()

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
                value = keyword.value
                if keyword.arg != "product" and isinstance(value, ast.Constant):
                    if isinstance(value.value, str):
                        self.keys.add(f"exceptions.{value.value}.message")
        elif _kwarg(node, "translation_domain") is not None or name.endswith(("Error", "Failed")):
            if key := _kwarg(node, "translation_key"):
                self.keys.add(f"exceptions.{key}.message")
        elif name in self._error_helpers and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.keys.add(f"exceptions.{first.value}.message")
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
        collector = _FlowKeyCollector(_error_helpers(tree))
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


DISCOVERY_KEYS = {"bluetooth", "dhcp", "homekit", "ssdp", "usb", "zeroconf"}


def _oauth2_flow_keys() -> set[str]:
    """What Home Assistant's OAuth2 config flow, which ours extends, shows on its own.

    Its abort reasons (missing credentials, no URL, rejected sign-in, ...) and steps (the
    credential picker, the external sign-in) are read from the installed Home Assistant, so a
    reason added in a new release fails this test until en.json has text for it. Custom
    integrations cannot point at Home Assistant's common strings, so each needs our own text.
    """
    tree = ast.parse(Path(config_entry_oauth2_flow.__file__).read_text(encoding="utf-8"))
    (handler,) = (
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == "AbstractOAuth2FlowHandler"
    )
    collector = _FlowKeyCollector()
    collector.visit(handler)
    if not DISCOVERY_KEYS & set(_json(MANIFEST)):
        # Shown only to flows started by discovery, which the manifest does not declare.
        collector.keys.discard("config.step.oauth_discovery")
    return collector.keys


def test_translations_cover_every_key_the_code_uses() -> None:
    translations = _translations()
    missing = sorted(key for key in _used_translation_keys() if _lookup(translations, key) is None)
    assert not missing, f"translations/en.json lacks: {missing}"


def test_translations_cover_home_assistants_oauth2_flow() -> None:
    keys = _oauth2_flow_keys()
    # The collector must see what the OAuth2 flow is known to show (guards the parsing).
    assert {
        "config.abort.missing_credentials",
        "config.abort.no_url_available",
        "config.abort.user_rejected_authorize",
        "config.step.pick_implementation",
    } <= keys
    translations = _translations()
    missing = sorted(key for key in keys if _lookup(translations, key) is None)
    assert not missing, f"translations/en.json lacks Home Assistant's OAuth2 flow keys: {missing}"


def _strings(tree: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _strings(value, f"{path}.{key}" if path else key)
    elif isinstance(tree, str):
        yield path, tree


# The frontend formats every string as an ICU message: `<` before a letter opens a tag, so
# `https://<your domain>/...` shows "Translation error: INVALID_TAG" instead of the text.
ICU_TAG = re.compile(r"</?[A-Za-z]")
# hassfest's translation_value_validator (home-assistant/core script/hassfest/translations.py):
# no combined references, no placeholder in single quotes (ICU quoting would print it as is).
COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
PLACEHOLDER = re.compile(r"{\w+}")


def _translation_text_problem(text: str) -> str | None:
    try:
        cv.string_with_no_html(text)
    except probatio.Invalid as err:
        return str(err)
    if ICU_TAG.search(text):
        return "HTML-like tag (ICU INVALID_TAG)"
    if COMBINED_REFERENCE.search(text):
        return "combined [%key:...%] reference"
    if QUOTED_PLACEHOLDER.search(text):
        return "placeholder inside single quotes"
    if text != text.strip():
        return "leading or trailing whitespace"
    if {"{", "}"} & set(PLACEHOLDER.sub("", text)):
        return "brace that is not a {placeholder}"
    return None


def test_translation_strings_are_valid_messages() -> None:
    """Every string passes hassfest's value checks and parses as an ICU message."""
    problems = [
        f"{path}: {problem}"
        for path, text in _strings(_translations())
        if (problem := _translation_text_problem(text)) is not None
    ]
    assert not problems, problems


@pytest.mark.parametrize(
    "text",
    [
        "Serve it at `https://<your domain>/.well-known/`",
        "Open <b>this</b>",
        "Say '{name}'",
        "[%key:common::x%] and more",
        "trailing ",
        "a {broken placeholder}",
    ],
)
def test_translation_text_check_catches(text: str) -> None:
    assert _translation_text_problem(text) is not None


def test_translation_text_check_lets_plain_text_through() -> None:
    assert (
        _translation_text_problem("Below 5 °C (< 10): {name} at `https://tesla.example.com`")
        is None
    )


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


# hassfest's dependencies rule (home-assistant/core script/hassfest/dependencies.py): importing
# another integration needs it in `dependencies` or `after_dependencies`, except entity platforms,
# Home Assistant's always-loaded internal integrations (its ALLOWED_USED_COMPONENTS) and the
# platforms the integration implements itself (`diagnostics.py`, `repairs.py`, ...).
ALWAYS_ALLOWED_COMPONENTS = {platform.value for platform in Platform} | {
    "alert",
    "automation",
    "conversation",
    "default_config",
    "device_automation",
    "frontend",
    "group",
    "homeassistant",
    "input_boolean",
    "input_button",
    "input_datetime",
    "input_number",
    "input_select",
    "input_text",
    "media_source",
    "onboarding",
    "panel_custom",
    "persistent_notification",
    "person",
    "script",
    "shopping_list",
    "sun",
    "system_health",
    "system_log",
    "timer",
    "webhook",
    "websocket_api",
    "zone",
}
COMPONENTS = "homeassistant.components"


class _ComponentImports(ast.NodeVisitor):
    """The Home Assistant integrations a module uses, as hassfest finds them."""

    def __init__(self) -> None:
        self.components: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return  # type-only imports load nothing
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith(f"{COMPONENTS}."):
                self.components.add(alias.name.split(".")[2])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == COMPONENTS:
            self.components |= {alias.name for alias in node.names}
        elif node.module is not None and node.module.startswith(f"{COMPONENTS}."):
            self.components.add(node.module.split(".")[2])

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # hass.components.<name> / self.hass.components.<name>
        owner = node.value
        if isinstance(owner, ast.Attribute) and owner.attr == "components":
            holder = owner.value
            if (isinstance(holder, ast.Name) and holder.id == "hass") or (
                isinstance(holder, ast.Attribute) and holder.attr in {"hass", "_hass"}
            ):
                self.components.add(node.attr)
                return
        self.generic_visit(node)


def _undeclared_components(integration: Path, manifest: dict[str, Any]) -> dict[str, set[str]]:
    """Integrations used but not declared in the manifest, with the files that use each."""
    allowed = (
        ALWAYS_ALLOWED_COMPONENTS
        | set(manifest.get("dependencies", []))
        | set(manifest.get("after_dependencies", []))
        | {manifest["domain"]}
    )
    undeclared: dict[str, set[str]] = {}
    for path in sorted(integration.rglob("*.py")):
        collector = _ComponentImports()
        collector.visit(ast.parse(path.read_text(encoding="utf-8")))
        for component in collector.components - allowed:
            # The integration's own platform of that component (diagnostics.py, repairs/).
            if (integration / f"{component}.py").is_file() or (integration / component).is_dir():
                continue
            undeclared.setdefault(component, set()).add(str(path.relative_to(integration)))
    return undeclared


def test_every_component_used_is_declared_in_the_manifest() -> None:
    undeclared = _undeclared_components(INTEGRATION, _json(MANIFEST))
    assert not undeclared, (
        f"used but not in dependencies/after_dependencies (hassfest rejects it): {undeclared}"
    )


def test_component_check_finds_an_undeclared_import(tmp_path: Path) -> None:
    integration = tmp_path / "demo_integration"
    integration.mkdir()
    (integration / "diagnostics.py").write_text(
        "from homeassistant.components.diagnostics import async_redact_data\n"
    )
    (integration / "stats.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from homeassistant.components.recorder import get_instance\n"
        "from homeassistant.components import zone, history\n"
        "import homeassistant.components.sensor\n"
        "if TYPE_CHECKING:\n"
        "    from homeassistant.components.logbook import Event\n"
        "def f(hass):\n"
        "    return hass.components.mqtt\n"
    )
    manifest = {"domain": "demo_integration", "after_dependencies": ["history"]}
    assert _undeclared_components(integration, manifest) == {
        "recorder": {"stats.py"},
        "mqtt": {"stats.py"},
    }
    manifest["after_dependencies"] = ["history", "recorder", "mqtt"]
    assert _undeclared_components(integration, manifest) == {}


def _mdi_icon_names() -> set[str]:
    """Material Design Icons as the installed frontend ships them (what the UI can draw)."""
    hass_frontend = pytest.importorskip("hass_frontend")
    icon_list = Path(hass_frontend.where()) / "static" / "mdi" / "iconList.json"
    return {icon["name"] for icon in json.loads(icon_list.read_text(encoding="utf-8"))}


def test_every_icon_exists_in_material_design_icons() -> None:
    """An icon name the frontend does not know shows as an empty space."""
    names = _mdi_icon_names()
    assert {"car", "speaker", "battery-sync"} <= names
    unknown = [
        f"{path}: {icon}"
        for path, icon in _strings(_json(INTEGRATION / "icons.json"))
        if not icon.startswith("mdi:") or icon.removeprefix("mdi:") not in names
    ]
    assert not unknown, f"icons not in Material Design Icons: {unknown}"


# Modules that describe entities: they read the typed state model (`car.charge.battery_level`,
# `SiteInfo`, `LiveStatus`), never Tesla's dicts by key.
STATE_READERS = (*sorted(PLATFORMS), "energy_entities", "control_entity")


def _raw_reads(source: str) -> list[str]:
    """Places where the code reads a dict by a literal key instead of a typed field."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)  # filling a command's expected values is fine
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
            and not (isinstance(node.value, ast.Name) and node.value.id == "Literal")
        ):
            found.append(f"line {node.lineno}: [{node.slice.value!r}]")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            keys = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if (name == "get" and keys[:1] and isinstance(keys[0], str)) or (
                name in ("value", "getattr") and any(isinstance(k, str) for k in keys)
            ):
                found.append(f"line {node.lineno}: {name}({', '.join(map(repr, keys))})")
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
            and not all(isinstance(c, ast.Tuple | ast.List | ast.Set) for c in node.comparators)
        ):
            found.append(f"line {node.lineno}: {node.left.value!r} in ...")
    return found


def test_entity_modules_read_typed_fields_only() -> None:
    """Issue 16: entities read the typed state model; no module indexes a raw API dict."""
    found = {
        module: reads
        for module in STATE_READERS
        if (reads := _raw_reads((INTEGRATION / f"{module}.py").read_text(encoding="utf-8")))
    }
    assert not found, f"raw dict reads (declare the field in api/vehicle_data.py): {found}"


@pytest.mark.parametrize(
    "code",
    [
        'level = data["charge_state"]',
        'level = section.get("battery_level")',
        'level = section.get("battery_level", 0)',
        'level = snapshot.value("charge_state", "battery_level")',
        'level = getattr(section, "battery_level")',
        'has = "sentry_mode" in state',
    ],
)
def test_raw_read_check_catches(code: str) -> None:
    assert _raw_reads(code)


def test_raw_read_check_lets_typed_reads_through() -> None:
    code = (
        "level = car.charge.battery_level\n"
        'Mode = Literal["vent", "close"]\n'
        "temp = COP_TEMPS.get(str(value))\n"
        'plugged = cable not in ("", "<invalid>")\n'
        'updates = {"vehicle_state": {"locked": True}}\n'
        'shown["is_climate_on"] = True\n'
    )
    assert _raw_reads(code) == []
