"""Commands that work on module files alone: validate, strip, inspect."""

from __future__ import annotations

from wasmote.cli import main  # noqa: F401  (commands are added by the toolkit)
