"""What a page says, and whether any of it is a translation defect instead of text.

Home Assistant's frontend shows `Translation error: <ICU error>` when a translation does not
parse (an HTML-like `<your domain>` is an ICU tag), and falls back to the bare key when one is
missing: the step id as a menu option, the field name as a label, the reason of an abort.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import json
from pathlib import Path
import re
from typing import Any

EN_JSON = (
    Path(__file__).resolve().parents[2]
    / "custom_components"
    / "tesla_fleet_direct"
    / "translations"
    / "en.json"
)

# Shown by the frontend, or left in text, only when a translation failed.
DEFECT_PATTERNS = (
    re.compile(r"Translation error"),
    # A reference Home Assistant did not resolve, e.g. `[%key:common::config_flow::...%]`.
    re.compile(r"\[%key:"),
    # A translation key the frontend printed because it has no text for it.
    re.compile(r"\bcomponent\.[a-z0-9_]+\.[a-z_]+\."),
    re.compile(r"\bui\.(?:panel|dialogs|components|common|card|auth|errors)\."),
    re.compile(r"\b(?:config|options|config_subentries)\.(?:step|error|abort|progress)\."),
)
# Keys in en.json that structure it; they never stand for text of their own.
STRUCTURAL_KEYS = frozenset({"data_description", "menu_options", "create_entry"})

# Every visible text node (shadow roots included) plus what each `ha-markdown` was asked to
# render: that text exists before the markdown worker has turned it into DOM. A field's label
# is often a slot's fallback text: shown when nothing is slotted in, and a `display: contents`
# slot has no box of its own, so visibility is asked of the first ancestor that has one.
VISIBLE_TEXT_JS = """() => {
  const texts = [];
  const shown = (element) => {
    if (element.localName === 'slot' && element.assignedNodes().length) return false;
    while (element && getComputedStyle(element).display === 'contents') {
      element = element.parentElement || element.getRootNode().host;
    }
    return Boolean(element) && element.checkVisibility();
  };
  const walk = (root) => {
    for (const node of root.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        const parent = node.parentElement;
        const text = node.textContent.trim();
        if (text && parent && !['STYLE', 'SCRIPT', 'TEMPLATE'].includes(parent.tagName)
            && shown(parent)) {
          texts.push(text);
        }
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.localName === 'ha-markdown' && typeof node.content === 'string'
            && node.checkVisibility()) {
          texts.push(node.content);
        }
        if (node.shadowRoot) walk(node.shadowRoot);
        walk(node);
      }
    }
  };
  walk(document);
  return texts;
}"""

# True once every visible `ha-markdown` with something to say shows it (rendering is async).
MARKDOWN_RENDERED_JS = """() => {
  const pending = [];
  const walk = (root) => {
    for (const element of root.querySelectorAll('*')) {
      if (element.localName === 'ha-markdown' && typeof element.content === 'string'
          && element.content.trim() && element.checkVisibility()) {
        const rendered = element.shadowRoot
          && element.shadowRoot.querySelector('ha-markdown-element');
        if (!rendered || !rendered.textContent.trim()) pending.push(element);
      }
      if (element.shadowRoot) walk(element.shadowRoot);
    }
  };
  walk(document);
  return pending.length === 0;
}"""


def load_strings() -> dict[str, Any]:
    """The integration's English translations."""
    strings: dict[str, Any] = json.loads(EN_JSON.read_text(encoding="utf-8"))
    return strings


def _nested_keys(tree: Any) -> Iterable[str]:
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            yield str(key)
            yield from _nested_keys(value)


def raw_keys(strings: Mapping[str, Any]) -> frozenset[str]:
    """Keys the frontend would print as they are if their text were missing.

    Flow steps, fields, menu options, errors and abort reasons, selector options and entity
    states. Only the snake_case ones: a one-word key (`finish`) is also an English word.
    """
    keys: set[str] = set()
    for section in ("config", "options", "selector"):
        keys.update(_nested_keys(strings.get(section, {})))
    for platform in strings.get("entity", {}).values():
        for entity in platform.values():
            keys.update(entity.get("state", {}))
    return frozenset(key for key in keys if "_" in key and key not in STRUCTURAL_KEYS)


def raw_key_pattern(keys: Iterable[str]) -> re.Pattern[str] | None:
    """A key standing alone (as a label or a sentence word), not inside a URL or a longer name."""
    alternatives = sorted((re.escape(key) for key in keys), key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile(r"(?<![\w.:/-])(?:" + "|".join(alternatives) + r")(?![\w/-])")


def translation_defects(texts: Iterable[str], raw_key: re.Pattern[str] | None) -> list[str]:
    """The texts that show a translation error or a key instead of words, each once."""
    found: list[str] = []
    for text in texts:
        if text in found:
            continue
        if any(pattern.search(text) for pattern in DEFECT_PATTERNS) or (
            raw_key is not None and raw_key.search(text)
        ):
            found.append(text)
    return found
