#!/usr/bin/env bash
# The whole test suite: lint, types, C style, then pytest (unit, C runtime, spec suite, QEMU end-to-end).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
echo "== ruff"; ruff check host_tools bench tests scripts
echo "== mypy"; mypy
echo "== C style (.clang-format)"; scripts/format_c.sh --check
echo "== pytest"
exec python -m pytest "$@"
