"""Install-time cost of the pre-decoded form on the Cortex-M4 (issue 20, stage 2).

    python -m bench.interp_m4 --install [--kernels crc32,sha256|kernels|programs]

The workloads of bench/interp_m4 (the same stripped wasm bytes, as const arrays in flash), in
a bare-metal image of the runtime core built with WM_PREDECODE (mps2-an386 under QEMU
-icount shift=0): for each module, the instructions of its load (parse + validate), of its
translation into the pre-decoded form as a device's commit does it (wm_pd_translate_in in
the RAM the load left), and of the checks a load makes on the stored form (CRC-32 and
wm_pd_attach); the form's size against the module's (the flash the store adds beside it)
and the translator's scratch (RAM held only during the install).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.bare_image import build_bare_image, run_icount
from bench.interp_m4.image import write_data
from bench.interp_m4.measure import module_of
from bench.workloads import Workload
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR, REPO_ROOT

OUT_DIR = BUILD_DIR / "bench-interp-m4" / "pd-install"
BOARD = "mps2-an386"
HERE = REPO_ROOT / "bench" / "interp_m4"


@dataclass(frozen=True)
class Row:
    name: str
    module_bytes: int
    form_bytes: int
    scratch_bytes: int
    load: float        # instructions
    translate: float
    check: float


def measure(chosen: tuple[Workload, ...]) -> list[Row]:
    modules = [module_of(w) for w in chosen]
    gen = OUT_DIR / "gen"
    gen.mkdir(parents=True, exist_ok=True)
    write_data(modules, gen / "interp_m4_data.h", wasm3=False)
    core = FIRMWARE_DIR / "src" / "core"
    sources = [HERE / "pd_install_main.c", *sorted((core / "base").glob("*.c")),
               *sorted((core / "runtime").glob("*.c")),
               FIRMWARE_DIR / "src" / "app" / "freestanding.c"]
    elf = build_bare_image(sources, OUT_DIR, "pd_install.elf", board_name=BOARD, opt="-Os",
                           include_dirs=[gen, core / "runtime", core / "base"],
                           extra_cflags=["-DWM_PREDECODE=1"])
    lines = run_icount(elf, "pre-decoded form install bench", board_name=BOARD)
    calib = next(int(ln.split()[2]) for ln in lines if ln.startswith("calib "))

    def instr(ticks: str) -> float:
        if int(ticks) == 0xFFFFFFFF:
            raise RuntimeError("a measure ran past the 24-bit counter")
        return int(ticks) * 2_000_000 / calib

    got: dict[str, dict[str, list[str]]] = {}
    for ln in lines:
        f = ln.split()
        if len(f) >= 3 and f[0] in ("load", "pd", "check"):
            got.setdefault(f[1], {})[f[0]] = f[2:]
        elif f and f[0] == "refused":  # it would run in place: said, not measured
            print(ln)
    modules = [m for m in modules if "pd" in got.get(m.name, {})]
    return [Row(m.name, len(m.data), int(got[m.name]["pd"][1]), int(got[m.name]["pd"][2]),
                instr(got[m.name]["load"][0]), instr(got[m.name]["pd"][0]),
                instr(got[m.name]["check"][0])) for m in modules]


def report(rows: list[Row]) -> str:
    out = ["Instructions on the Cortex-M4 (QEMU -icount); bytes of the stripped module and of "
           "its pre-decoded form (the store adds a 48-byte prefix)",
           f"{'module':<16} {'bytes':>7} {'form':>7} {'form/mod':>8} {'scratch':>7} "
           f"{'load':>9} {'translate':>10} {'per byte':>8} {'check':>9}"]
    for r in rows:
        out.append(f"{r.name:<16} {r.module_bytes:>7} {r.form_bytes:>7} "
                   f"{r.form_bytes / r.module_bytes:>7.2f}x {r.scratch_bytes:>7} "
                   f"{r.load / 1e3:>8.0f}k {r.translate / 1e3:>9.0f}k "
                   f"{r.translate / r.module_bytes:>8.0f} {r.check / 1e3:>8.0f}k")
    return "\n".join(out)
