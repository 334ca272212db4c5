"""Flash size and cost of the device-side crypto (firmware/src/core/crypto).

1. Flash: `arm-none-eabi-size` of each crypto object built -Os for Cortex-M4 (thumb), and
   the same sources built -Os for rv32imac, for comparison.
2. Cortex-M4 instructions: a bare-metal image (bench/crypto_m4/crypto_bench_main.c linked
   with the firmware's mps2 start-up and port) runs under `qemu-system-arm -M mps2-an386
   -icount shift=0,align=off,sleep=off`; SysTick on the 25 MHz CPU clock then ticks once
   per 40 instructions. A calibration loop of exactly 2,000,000 instructions checks that
   factor in the same run. Stack high-water marks come from stack painting. The same image
   for RV32IMAC (QEMU virt, firmware's riscv_virt port) counts with minstret.
3. Host x86-64 instructions (callgrind, counting only inside the measured function) for our
   C built with the system cc, and as references in the same run OpenSSL's Ed25519 (through
   the `cryptography` package) and libsodium's if its shared library is installed.
4. What the management link costs the device per authenticated request (docs/security.md):
   issuing a nonce (16 bytes of the HMAC-DRBG, core/random) and checking a token
   (protocol/auth.c: key lookup, nonce, Ed25519 over a RUN request's signed message), and
   refusing a token whose nonce is unknown (before any signature work).

    python -m bench.crypto_verify [--json]
"""

from __future__ import annotations

import argparse
import ctypes.util
import json
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.crypto_m4.image import CRYPTO_SRC, WARN, ImageBuildError, TargetImage, build_image

REPO = Path(__file__).resolve().parent.parent
BENCH_SRC = REPO / "bench" / "crypto_m4"
HARNESS_SRC = REPO / "tests" / "crypto" / "crypto_harness.c"
VECTORS = REPO / "tests" / "crypto" / "rfc8032_vectors.json"
OUT = REPO / "build" / "crypto-bench"

M4_SIZE_FLAGS = ["-std=c99", "-Os", "-mcpu=cortex-m4", "-mthumb", "-ffreestanding", *WARN]
RV_SIZE_FLAGS = ["-std=c99", "-Os", "-march=rv32imac_zicsr", "-mabi=ilp32", "-ffreestanding",
                 *WARN]
INSNS_PER_TICK_AT_25MHZ = 40  # icount shift=0: 1 instruction = 1 ns; 25 MHz tick = 40 ns
CALIBRATION_INSNS = 2_000_000
STATUS_BAD_SIGNATURE = 9  # WM_CRYPTO_ERR_BAD_SIGNATURE
AUTH_ENONCE = 4  # WM_AUTH_ENONCE (protocol/auth.h)


class BenchError(Exception):
    """A tool failed; the message says which and why."""


def run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd[:6])}... failed:\n{proc.stderr[-3000:]}")
    return proc


# --- 1. flash size ----------------------------------------------------------------------


@dataclass
class SizeRow:
    object: str
    m4_text: int
    m4_data: int
    m4_bss: int
    m4_o2_text: int
    rv32_text: int
    rv32_data: int
    rv32_bss: int


def _sizes(cc: str, size_tool: str, flags: list[str], out_dir: Path) -> dict[str, tuple[int, ...]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, tuple[int, ...]] = {}
    for src in sorted(CRYPTO_SRC.glob("*.c")):
        obj = out_dir / (src.stem + ".o")
        run([cc, *flags, "-c", str(src), "-o", str(obj)])
        line = run([size_tool, "-B", "-d", str(obj)]).stdout.splitlines()[1].split()
        result[src.stem] = (int(line[0]), int(line[1]), int(line[2]))
    return result


def object_sizes() -> list[SizeRow]:
    m4 = _sizes("arm-none-eabi-gcc", "arm-none-eabi-size", M4_SIZE_FLAGS, OUT / "size-m4")
    o2_flags = [f for f in M4_SIZE_FLAGS if f != "-Os"] + ["-O2"]
    m4_o2 = _sizes("arm-none-eabi-gcc", "arm-none-eabi-size", o2_flags, OUT / "size-m4-O2")
    rv = _sizes("riscv64-unknown-elf-gcc", "riscv64-unknown-elf-size", RV_SIZE_FLAGS,
                OUT / "size-rv32")
    return [SizeRow(name, m4[name][0], m4[name][1], m4[name][2], m4_o2[name][0], rv[name][0],
                    rv[name][1], rv[name][2]) for name in sorted(m4)]


# --- 2. Cortex-M4 under QEMU ------------------------------------------------------------


@dataclass
class BenchMessage:
    name: str
    pub: bytes
    msg: bytes
    sig: bytes


def bench_messages() -> list[BenchMessage]:
    vectors = {v["name"]: v for v in json.loads(VECTORS.read_text())["vectors"]}
    out = []
    for name, key in (("test1", "TEST 1"), ("test1024", "TEST 1024")):
        v = vectors[key]
        out.append(BenchMessage(name, bytes.fromhex(v["public"]), bytes.fromhex(v["message"]),
                                bytes.fromhex(v["signature"])))
    signer = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    msg = bytes((i * 7 + 3) & 0xFF for i in range(4096))
    pub = signer.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    out.append(BenchMessage("4k", pub, msg, signer.sign(msg)))
    return out


def _c_array(name: str, data: bytes) -> str:
    body = ", ".join(f"0x{b:02x}" for b in data)
    return f"static const uint8_t {name}[{len(data)}] = {{\n" + "\n".join(
        textwrap.wrap(body, 96)) + "};\n"


def tampered(sig: bytes) -> bytes:
    """Flips the lowest bit of S: still < L, so verification runs to the end and fails."""
    return sig[:32] + bytes([sig[32] ^ 1]) + sig[33:]


AUTH_DEVICE_ID = bytes(range(0x40, 0x50))
AUTH_NONCE = bytes(range(0x80, 0x90))
AUTH_MSG_RUN = 0x06
# a RUN of calc.add(20, 22): what `wasmote run` sends
AUTH_BODY = (bytes([4]) + b"calc" + bytes([3]) + b"add" + bytes([2])
             + bytes([0x7F]) + (20).to_bytes(8, "little") + bytes([0x7F])
             + (22).to_bytes(8, "little"))


def auth_token() -> bytes:
    """The RUN body with its trailer: pub | nonce | sig over the signed message."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pub = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    signed = b"wasmote-auth-v1\0" + AUTH_DEVICE_ID + AUTH_NONCE + bytes([AUTH_MSG_RUN]) + AUTH_BODY
    return AUTH_BODY + pub + AUTH_NONCE + key.sign(signed)


def write_vectors_header(path: Path) -> None:
    parts = ["/* generated by bench/crypto_verify.py */\n#include <stdint.h>\n"]
    parts.append(_c_array("bench_auth_device_id", AUTH_DEVICE_ID))
    parts.append(_c_array("bench_auth_nonce", AUTH_NONCE))
    parts.append(_c_array("bench_auth_request", auth_token()))
    parts.append(f"#define BENCH_AUTH_MSG {AUTH_MSG_RUN}u\n")
    for m in bench_messages():
        parts.append(_c_array(f"bench_pub_{m.name}", m.pub))
        parts.append(_c_array(f"bench_sig_{m.name}", m.sig))
        if m.msg:
            parts.append(_c_array(f"bench_msg_{m.name}", m.msg))
        if m.name == "4k":
            parts.append(_c_array("bench_sig_4k_tampered", tampered(m.sig)))
    text = "".join(parts)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def build_bench_image(opt: str, board: str = "mps2-an386") -> TargetImage:
    out = OUT / f"{board}{opt}"
    out.mkdir(parents=True, exist_ok=True)
    write_vectors_header(out / "crypto_bench_vectors.h")
    try:
        core = CRYPTO_SRC.parent
        return build_image(BENCH_SRC / "crypto_bench_main.c", out, opt,
                           (out, core / "protocol", core / "random"), board,
                           (core / "protocol" / "auth.c", core / "random" / "random.c",
                            core / "base" / "wm_mem.c"))
    except ImageBuildError as exc:
        raise BenchError(str(exc)) from exc


@dataclass
class M4Case:
    name: str
    ticks: int
    instructions: int
    result: int
    stack_bytes: int


def run_target(image: TargetImage) -> tuple[list[M4Case], float]:
    """Runs a bench image; returns its cases and the calibrated instructions per count."""
    proc = subprocess.Popen(image.qemu_command(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if "crypto-bench done" in line:
                break
    finally:
        proc.kill()
        proc.wait(timeout=10)
    if not any("crypto-bench done" in ln for ln in lines):
        raise BenchError("the bench image did not finish; output:\n" + "\n".join(lines[-20:]))
    start = next((ln for ln in lines if "crypto-bench start" in ln), "")
    # SysTick counts CPU clocks: 1e9 / F_CPU instructions each under icount shift=0;
    # minstret counts instructions.
    per_count = INSNS_PER_TICK_AT_25MHZ if "counter=systick" in start else 1
    cases = []
    pattern = re.compile(r"case (\S+) cycles=(\d+) result=(\d+) stack=(\d+)")
    raw: dict[str, tuple[int, int, int]] = {}
    for ln in lines:
        m = pattern.search(ln)
        if m:
            raw[m.group(1)] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
    overhead = raw.pop("empty")[0]
    calib_ticks = raw["calibration_2M_insns"][0] - overhead
    insns_per_tick = CALIBRATION_INSNS / calib_ticks
    for name, (ticks, result, stack) in raw.items():
        net = ticks - overhead
        cases.append(M4Case(name, net, net * per_count, result, stack))
    return cases, insns_per_tick


# --- 3. host callgrind ------------------------------------------------------------------


@dataclass
class HostRow:
    implementation: str
    case: str
    instructions: int


def _callgrind(cmd: list[str], toggles: list[str], stdin: str, reps: int) -> int:
    out = OUT / "callgrind.out"
    run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         *[f"--toggle-collect={t}" for t in toggles], *cmd], input=stdin)
    total = re.search(r"^summary:\s*(\d+)", out.read_text(), re.MULTILINE)
    if total is None:
        raise BenchError("callgrind wrote no summary")
    return int(total.group(1)) // reps


def build_host_harness(opt: str) -> Path:
    exe = OUT / f"host{opt}" / "crypto_harness"
    exe.parent.mkdir(parents=True, exist_ok=True)
    random_src = CRYPTO_SRC.parent / "random"  # the harness tests the DRBG on top of it
    run(["cc", "-std=c99", opt, "-g", *WARN, f"-I{CRYPTO_SRC}", f"-I{random_src}",
         str(HARNESS_SRC), *map(str, sorted(CRYPTO_SRC.glob("*.c"))),
         *map(str, sorted(random_src.glob("*.c"))), "-o", str(exe)])
    return exe


HOST_CASES = (("verify_rfc_test1_0B", "test1"), ("verify_rfc_test1024_1023B", "test1024"),
              ("verify_4096B", "4k"))
REPS = 5


def host_ours(opt: str) -> list[HostRow]:
    exe = build_host_harness(opt)
    msgs = {m.name: m for m in bench_messages()}
    rows = []
    for case, key in HOST_CASES:
        m = msgs[key]
        line = f"verify {m.pub.hex()} {m.sig.hex()} {m.msg.hex() or '-'}\n"
        rows.append(HostRow(f"ours cc {opt}", case,
                            _callgrind([str(exe)], ["wm_ed25519_verify"], line * REPS, REPS)))
    data = bytes((i * 7 + 3) & 0xFF for i in range(4096)).hex()
    for algo in ("sha256", "sha512"):
        line = f"{algo} {data} -\n"
        n = _callgrind([str(exe)], [f"wm_{algo}_update", f"wm_{algo}_final"], line * REPS, REPS)
        rows.append(HostRow(f"ours cc {opt}", f"{algo}_4096B", n))
    return rows


REFERENCE_SCRIPT = """
import ctypes, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
pub, sig, msg, reps, which = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), \\
    bytes.fromhex(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
if which == "openssl":
    key = Ed25519PublicKey.from_public_bytes(pub)
    for _ in range(reps):
        key.verify(sig, msg)
else:
    so = ctypes.CDLL(which)
    assert so.sodium_init() >= 0
    for _ in range(reps):
        assert so.crypto_sign_verify_detached(sig, msg, ctypes.c_ulonglong(len(msg)), pub) == 0
"""


def host_references() -> list[HostRow]:
    msgs = {m.name: m for m in bench_messages()}
    impls: list[tuple[str, str, str]] = [
        ("OpenSSL (cryptography)", "openssl", "ed25519_digest_verify")]
    sodium = ctypes.util.find_library("sodium")
    if sodium:
        impls.append(("libsodium " + sodium, sodium, "crypto_sign_ed25519_verify_detached"))
    rows = []
    for label, which, toggle in impls:
        for case, key in HOST_CASES:
            m = msgs[key]
            cmd = [sys.executable, "-c", REFERENCE_SCRIPT, m.pub.hex(), m.sig.hex(),
                   m.msg.hex(), str(REPS), which]
            rows.append(HostRow(label, case, _callgrind(cmd, [toggle], "", REPS)))
    return rows


# --- report -----------------------------------------------------------------------------


def report(sizes: list[SizeRow], m4: list[M4Case], m4_o2: list[M4Case], rv32: list[M4Case],
           insns_per_tick: float, host: list[HostRow]) -> str:
    out = ["Flash size of firmware/src/core/crypto objects (bytes)", ""]
    out.append(f"{'object':<12}{'M4 -Os':>8}{'data':>6}{'bss':>5}{'M4 -O2':>8}"
               f"{'rv32 -Os':>10}{'rv32/M4':>9}")
    for r in sizes:
        out.append(f"{r.object:<12}{r.m4_text:>8}{r.m4_data:>6}{r.m4_bss:>5}{r.m4_o2_text:>8}"
                   f"{r.rv32_text:>10}{r.rv32_text / r.m4_text:>9.2f}")
    m4_total = sum(r.m4_text + r.m4_data for r in sizes)
    o2_total = sum(r.m4_o2_text for r in sizes)
    rv_total = sum(r.rv32_text + r.rv32_data for r in sizes)
    verify_only = sum(r.m4_text + r.m4_data for r in sizes if r.object != "sha256")
    out.append(f"{'total':<12}{m4_total:>8}{'':>6}{'':>5}{o2_total:>8}{rv_total:>10}"
               f"{rv_total / m4_total:>9.2f}")
    out.append(f"Ed25519 verify incl. SHA-512 (no SHA-256): {verify_only} bytes on M4 (-Os)")
    out += ["", "Cortex-M4 under QEMU (mps2-an386, -icount shift=0): instructions per call", ""]
    out.append(f"calibration: {insns_per_tick:.2f} instructions per SysTick tick "
               f"(expected {INSNS_PER_TICK_AT_25MHZ})")
    o2_by = {c.name: c for c in m4_o2}
    rv_by = {c.name: c for c in rv32}
    out.append(f"{'case':<27}{'-Os insns':>11}{'ms@25MHz*':>10}{'stack':>7}{'result':>7}"
               f"{'-O2 insns':>11}{'O2/Os':>7}{'rv32 -Os':>11}{'rv32/M4':>8}")
    for c in m4:
        if c.name.startswith("calibration"):
            continue
        o2 = o2_by[c.name].instructions
        rv = rv_by[c.name].instructions
        out.append(f"{c.name:<27}{c.instructions:>11,}{c.instructions / 25e3:>10.1f}"
                   f"{c.stack_bytes:>7}{c.result:>7}{o2:>11,}{o2 / c.instructions:>7.2f}"
                   f"{rv:>11,}{rv / c.instructions:>8.2f}")
    out.append("* if the M4 ran one instruction per cycle at 25 MHz; real CPI is above 1")
    out.append("rv32: RV32IMAC on QEMU virt, instructions retired (minstret), same C -Os")
    ref_m4 = {c.name: c for c in m4}
    host_by = {(h.implementation, h.case): h.instructions for h in host}
    impls = list(dict.fromkeys(h.implementation for h in host))
    out += ["", "Host x86-64 instructions per call (callgrind), same cases", ""]
    out.append(f"{'case':<27}" + "".join(f"{i[:22]:>24}" for i in impls) + f"{'M4/host':>9}")
    cases = list(dict.fromkeys(h.case for h in host))
    ours = impls[0]
    for case in cases:
        cells = "".join(f"{host_by[(i, case)]:>24,}" if (i, case) in host_by
                        else f"{'-':>24}" for i in impls)
        m4c = ref_m4.get(case)
        ratio = f"{m4c.instructions / host_by[(ours, case)]:>9.2f}" if m4c else f"{'-':>9}"
        out.append(f"{case:<27}{cells}{ratio}")
    for impl in impls[1:]:
        for case, _ in HOST_CASES:
            if host_by.get((impl, case)):
                out.append(f"{ours} / {impl[:22]} on {case}: "
                           f"{host_by[(ours, case)] / host_by[(impl, case)]:.2f}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    args = ap.parse_args(argv)
    for tool in ("arm-none-eabi-gcc", "riscv64-unknown-elf-gcc", "qemu-system-arm", "valgrind",
                 "cc"):
        if shutil.which(tool) is None:
            print(f"crypto_verify: {tool} not found (./wasmote.sh test installs it)",
                  file=sys.stderr)
            return 1
    try:
        sizes = object_sizes()
        m4, insns_per_tick = run_target(build_bench_image("-Os"))
        m4_o2, _ = run_target(build_bench_image("-O2"))
        rv32, rv_per_count = run_target(build_bench_image("-Os", "riscv32-virt"))
        if abs(rv_per_count - 1.0) > 0.001:
            raise BenchError(f"minstret calibration off: {rv_per_count:.3f} instructions/count")
        bad = [c for c in m4 + m4_o2 + rv32 if c.name.startswith("verify") and
               c.result != (STATUS_BAD_SIGNATURE if c.name.endswith("tampered") else 0)]
        bad += [c for c in m4 + m4_o2 + rv32 if c.name.startswith("auth") and
                c.result != (AUTH_ENONCE if "unknown" in c.name else 0)]
        if bad:
            raise BenchError(f"unexpected verification results on the M4: {bad}")
        host = host_ours("-O2") + host_ours("-Os") + host_references()
    except BenchError as exc:
        print(f"crypto_verify: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"sizes": [asdict(s) for s in sizes], "m4": [asdict(c) for c in m4],
                          "m4_O2": [asdict(c) for c in m4_o2],
                          "rv32": [asdict(c) for c in rv32],
                          "insns_per_tick": insns_per_tick,
                          "host": [asdict(h) for h in host]}, indent=1))
    else:
        print(report(sizes, m4, m4_o2, rv32, insns_per_tick, host))
    return 0


if __name__ == "__main__":
    sys.exit(main())
