#!/usr/bin/env bash
# Formats the project's C with .clang-format (repo root): every tracked .c/.h except the
# generated self-test header (tests compare it with its generator's output) and the bench's
# input programs (bench/programs, corpus, kernels: kept as measured).
#   scripts/format_c.sh            format in place
#   scripts/format_c.sh --check    change nothing; list the files that would change, exit 1
#   scripts/format_c.sh [--check] FILE...   only these files
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

check=0
if [[ ${1:-} == --check ]]; then
  check=1
  shift
fi
if ! command -v clang-format >/dev/null; then
  echo "format_c: clang-format not found (scripts/bootstrap.sh installs it)" >&2
  exit 2
fi

if (($#)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v -e '^bench/programs/' \
    -e '^bench/corpus/' -e '^bench/kernels/' -e '^firmware/src/app/selftest_wasm\.h$')
fi

if ((check)); then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --style=file "$f" | cmp -s - "$f"; then
      echo "$f"
      bad=1
    fi
  done
  if ((bad)); then
    echo "format_c: the files above differ from .clang-format; scripts/format_c.sh formats them" >&2
  fi
  exit "$bad"
fi
clang-format --style=file -i "${files[@]}"
