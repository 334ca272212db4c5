"""The README's main demo: a module goes from C source to a board running in QEMU.

Every step is a real `wasmote` command, printed before it runs, so the demo doubles as a
transcript of what a user types: compile C to wasm, validate, inspect and strip it, run it
on the host build of the runtime, sign it into a package beside a second module, build the
firmware with PlatformIO, boot it in QEMU, provision the device with our key, push both
over the serial line (one drives the board's LED on its own), run exports there, run a
sensor driver against the emulated TMP105 on the board's I2C bus while the temperature
changes, watch the sandbox refuse what is not signed or not granted, watch a bad call trap
while everything else carries on, shut the board down and boot it again: like a real
board, it kept its flash (modules, keys).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

from wasmote.cli.output import colour_enabled

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "demo"
BOARD = "mps2-an386"
WASMOTE = str(Path(sys.executable).parent / "wasmote")


def step(title: str) -> None:
    # bold only on a terminal, and never with NO_COLOR: a log or a pipe gets plain text
    bold, plain = ("\033[1m", "\033[0m") if colour_enabled() else ("", "")
    print(f"\n{bold}== {title}{plain}", flush=True)


def sh(*args: str, expect: int = 0) -> str:
    """Run a command visibly; stop the demo if its exit status is not the expected one."""
    shown = " ".join(shlex.quote(a if a != WASMOTE else "wasmote") for a in args)
    print(f"$ {shown}", flush=True)
    proc = subprocess.run(args, cwd=ROOT, text=True, capture_output=True)
    out = proc.stdout + proc.stderr
    if out:
        print(out.rstrip(), flush=True)
    if proc.returncode != expect:
        print(f"demo: `{shown}` exited {proc.returncode}, expected {expect}", file=sys.stderr)
        raise SystemExit(1)
    return proc.stdout


def wait_for_log(text: str, link: list[str], timeout: float = 60.0) -> None:
    """Wait (quietly) until the device's log shows `text`; stop the demo if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc = subprocess.run([WASMOTE, "logs", *link], cwd=ROOT, text=True,
                              capture_output=True)
        if text in proc.stdout:
            return
        time.sleep(0.5)
    print(f"demo: the log never showed {text!r}", file=sys.stderr)
    raise SystemExit(1)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    wasm = OUT / "hello.wasm"
    stripped = OUT / "hello.stripped.wasm"
    key = OUT / "demo"

    step("1. Compile a C module to wasm (zig's clang, installed from PyPI)")
    sh(sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-freestanding", "-Os", "-g",
       "-nostdlib", "-fno-sanitize=undefined", "-Wl,--no-entry", "-Wl,-z,stack-size=4096",
       "-Wl,--initial-memory=65536", "-o", str(wasm), "scripts/demo/hello.c")

    step("2. Validate, inspect and strip it on the host")
    sh(WASMOTE, "validate", str(wasm))
    sh(WASMOTE, "strip", str(wasm), "-o", str(stripped))
    sh(WASMOTE, "inspect", str(stripped))

    step("3. Run it on this computer: the device's runtime and host API built for the host "
         "(a trap names its function and source line)")
    sh(WASMOTE, "exec", str(stripped), "--invoke", "fib", "20")
    sh(WASMOTE, "exec", str(wasm), "--invoke", "crash", expect=2)

    step("4. Sign it into a package (stripped; hello.debug.wasm keeps its names and lines "
         "here), and a second module (blink: drives an LED)")
    sh(WASMOTE, "keys", "generate", "-o", str(key), "--force")
    sh(WASMOTE, "package", str(wasm), "--manifest", "scripts/demo/hello.toml",
       "--key", f"{key}.key", "-o", str(OUT / "hello.wmp"))
    sh(WASMOTE, "cc", "examples/blink/blink.c", "examples/blink/heartbeat.c",
       "-o", str(OUT / "blink.wasm"), "-m", "examples/blink/blink.toml",
       "--key", f"{key}.key")

    step(f"5. Build the firmware for {BOARD} with PlatformIO (offline)")
    sh(WASMOTE, "build", "--board", BOARD)

    step("6. Boot it in QEMU, serial line on a TCP socket, flash kept in a file")
    flash = OUT / f"{BOARD}.flash"
    flash.unlink(missing_ok=True)  # each demo starts from an erased board
    url = sh(WASMOTE, "sim", "--board", BOARD, "--background", "--no-build",
             "--flash", str(flash)).strip().splitlines()[-1]
    try:
        step("7. Provision the device with our public key: from now on it runs only "
             "packages we signed, and answers management requests (run, ls, logs, ...) only "
             "with a token signed by our key (--key, or WASMOTE_KEY)")
        sh(WASMOTE, "info", "--port", url)
        sh(WASMOTE, "provision", "--pubkey", f"{key}.pub", "--port", url)
        link = ["--port", url, "--key", f"{key}.key"]

        step("8. Push both over the serial line into the device's flash; blink starts "
             "itself (autostart) and blinks the board's LED")
        sh(WASMOTE, "push", str(OUT / "hello.wmp"), "--port", url)
        sh(WASMOTE, "push", str(OUT / "blink.wmp"), "--port", url)
        sh(WASMOTE, "run", "hello", "--invoke", "fib", "20", *link)
        sh(WASMOTE, "run", "hello", "--invoke", "crc32", "256", *link)
        sh(WASMOTE, "run", "hello", "--invoke", "mean", "f64:1.5", "f64:2.25", *link)
        sh(WASMOTE, "ls", *link)

        step("9. A sensor driver as a module: the TMP105 driver, granted only the board's "
             "temp0 (i2c:0/0x48), reads QEMU's emulated sensor and publishes every second")
        sh(WASMOTE, "cc", "examples/tmp105/tmp105.c", "examples/tmp105/tmp105_convert.c",
           "examples/pubsub/decimal.c", "-o", str(OUT / "tmp105.wasm"),
           "-m", "examples/tmp105/tmp105.toml", "--key", f"{key}.key")
        sh(WASMOTE, "push", str(OUT / "tmp105.wmp"), "--port", url)
        for milli, line in (("21500", "tmp105: 21.500 C"), ("-4250", "tmp105: -4.250 C")):
            sh(WASMOTE, "sim", "set", "temp0", "temperature", milli, "--port", url)
            sh(WASMOTE, "run", "tmp105", "--invoke", "read", *link)
            wait_for_log(line, link)  # the driver reads once a second
        sh(WASMOTE, "logs", *link)

        step("10. The sandbox says no: an unsigned module, and a module that wants more "
             "than its manifest grants")
        sh(WASMOTE, "push", str(stripped), "--name", "unsigned", "--port", url, expect=1)
        sh(WASMOTE, "cc", "scripts/demo/sneaky.c", "-o", str(OUT / "sneaky.wasm"),
           "-m", "scripts/demo/sneaky.toml", expect=1)

        step("11. A bad call traps, named from the debug file kept beside the package; the "
             "device and its other modules carry on")
        sh(WASMOTE, "run", "hello", "--invoke", "crash", "--debug", str(OUT), *link, expect=2)
        sh(WASMOTE, "run", "hello", "--invoke", "fib", "30", *link)
        sh(WASMOTE, "ls", *link)
        sh(WASMOTE, "logs", *link)
    finally:
        step("12. Shut the simulated board down (its flash is saved)")
        sh(WASMOTE, "sim", "stop", url)

    step("13. Boot it again: the modules and the key are still there, blink starts itself")
    url = sh(WASMOTE, "sim", "--board", BOARD, "--background", "--no-build",
             "--flash", str(flash)).strip().splitlines()[-1]
    try:
        link = ["--port", url, "--key", f"{key}.key"]
        listing = sh(WASMOTE, "ls", *link)
        if "hello" not in listing or "blink" not in listing:
            print("demo: the modules did not survive the restart", file=sys.stderr)
            raise SystemExit(1)
        sh(WASMOTE, "run", "hello", "--invoke", "fib", "20", *link)
    finally:
        sh(WASMOTE, "sim", "stop", url)
    print("\ndemo complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
