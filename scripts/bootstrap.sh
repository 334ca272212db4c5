#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: apt packages (only the missing ones),
# a .venv with the package installed editable, and a PlatformIO core dir inside build/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

apt_packages=(
  python3 python3-venv python3-pip git make
  gcc g++ clang lld libclang-rt-14-dev llvm valgrind
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
  gcc-riscv64-unknown-elf
  gcc-xtensa-lx106 binutils-xtensa-lx106
  qemu-system-arm qemu-system-misc
  wabt binaryen clang-format
  mosquitto
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

py=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "bootstrap: creating .venv"
  "$py" -m venv .venv
fi

# Reinstall only when the dependency list changed.
stamp=.venv/.wasmote-deps
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "bootstrap: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi

# PlatformIO's registry is unreachable: supply its build engine (tool-scons) locally.
.venv/bin/python scripts/pio_offline.py "$root/build/pio-core"

# AssemblyScript from npm, for AssemblyScript modules (`wasmote new --lang assemblyscript`)
# and their tests, into build/npm. It needs Node >= 20 (Debian 12's own nodejs is 18).
as_version=0.28.20
as_dir=build/npm
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
  echo "bootstrap: AssemblyScript $as_version needs Node.js >= 20, found" \
       "$(node --version 2>/dev/null || echo none): AssemblyScript modules will not build and" \
       "their tests skip. To fix: install Node 20 from NodeSource" \
       "(curl -fsSL https://deb.nodesource.com/setup_20.x | sudo bash - &&" \
       "sudo apt-get install -y nodejs), then run this again." >&2
elif [[ ! -x $as_dir/node_modules/.bin/asc || $(cat "$as_dir/.version" 2>/dev/null) != "$as_version" ]]; then
  echo "bootstrap: installing AssemblyScript $as_version (npm) into $as_dir"
  mkdir -p "$as_dir"
  npm install --prefix "$as_dir" --no-audit --no-fund --silent "assemblyscript@$as_version"
  echo "$as_version" > "$as_dir/.version"
fi
