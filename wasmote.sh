#!/usr/bin/env bash
# The two entry points of the project: `./wasmote.sh demo` and `./wasmote.sh test`.
# Both bootstrap everything first (Debian packages, .venv, PlatformIO core dir), idempotently.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"

cmd=${1:-}
shift || true
case "$cmd" in
  demo|test|bootstrap) ;;
  *) echo "usage: ./wasmote.sh demo|test|bootstrap [pytest args...]" >&2; exit 2 ;;
esac

bash scripts/bootstrap.sh
# shellcheck disable=SC1091
source .venv/bin/activate
export PLATFORMIO_CORE_DIR="$root/build/pio-core"

case "$cmd" in
  demo) exec python scripts/demo.py "$@" ;;
  test) exec bash scripts/test.sh "$@" ;;
  bootstrap) echo "bootstrap complete" ;;
esac
