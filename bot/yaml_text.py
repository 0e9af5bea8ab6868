"""YAML read safely, and fast: the answer library, its texts and config.yml are ~180 KB that every
start-up reads (and so does every test's app). PyYAML's parser written in Python took ~0.28 s for
them on the 2-core machine; libyaml's (CSafeLoader, built into PyYAML's wheels) 0.03 s, with the
same result (tests/test_content.py compares the two on every file)."""

from __future__ import annotations

from typing import Any

import yaml

# A PyYAML built without libyaml has only its own loader: the same result, slower.
SAFE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """As yaml.safe_load (the same types, and yaml.YAMLError with the line of the fault), parsed by
    libyaml when PyYAML has it."""
    return yaml.load(text, Loader=SAFE_LOADER)  # a safe loader: plain data only
