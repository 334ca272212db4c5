"""SCons build for wasmote's QEMU targets with the Debian cross compilers (no packages).

Everything board-specific comes from the board manifest (boards/<name>.json):
`build.cflags` (CPU/ABI flags for compile and link), `build.f_cpu`, and our `wasmote`
section: tool prefix, port folder, CPU name, UART, memory map and module-store region.
The linker script's MEMORY block is generated from that memory map, so the manifest is the
single source of truth; the port supplies the SECTIONS part. Flags, include path and
components common to every build come from firmware/build.json. No newlib: -nostdlib, the
core brings its own memcpy/memset, libgcc supplies soft-float and 64-bit division helpers.
"""

import json
import os

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig()

wm = board.get("wasmote")
prefix = wm["toolchain"]
port = wm["port"]
cpu_flags = board.get("build.cflags", "").split()
# Link flags choose libgcc's multilib, which knows no ISA extensions like _zicsr.
link_cpu_flags = board.get("build.ldflags", board.get("build.cflags", "")).split()
project_dir = env.subst("$PROJECT_DIR")
src_dir = env.subst("$PROJECT_SRC_DIR")
build_dir = env.subst("$BUILD_DIR")
port_dir = os.path.join(src_dir, "port", port)

env.Replace(
    AR=prefix + "-gcc-ar",
    AS=prefix + "-gcc",
    CC=prefix + "-gcc",
    CXX=prefix + "-g++",
    LINK=prefix + "-gcc",
    RANLIB=prefix + "-gcc-ranlib",
    OBJCOPY=prefix + "-objcopy",
    SIZETOOL=prefix + "-size",
    PROGNAME="firmware",
    PROGSUFFIX=".elf",
    SIZEPROGREGEXP=r"^(?:\.text|\.rodata|\.data|\.ARM\.exidx)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
)


def _int(v):
    return int(v, 0) if isinstance(v, str) else int(v)


mem = wm["memory"]
defines = [
    ("F_CPU", board.get("build.f_cpu", "25000000L")),
    ("WM_BOARD_NAME", env.StringifyMacro(env.subst("$BOARD"))),
    ("WM_CPU_NAME", env.StringifyMacro(wm["cpu"])),
    ("WM_UART_BASE", "0x%08Xu" % _int(wm["uart"]["base"])),
    ("WM_STORE_SECTOR", "%du" % _int(mem["store"]["sector"])),
]
if "rx_irq" in wm["uart"]:
    defines.append(("WM_UART_RX_IRQ", "%du" % _int(wm["uart"]["rx_irq"])))
if "kv_size" in mem["store"]:
    defines.append(("WM_KV_SIZE", "%du" % _int(mem["store"]["kv_size"])))
if wm.get("gpio", {}).get("kind") == "mps2-fpgaio":
    defines.append(("WM_FPGAIO_BASE", "0x%08Xu" % _int(wm["gpio"]["base"])))


def _periph_defines(per):
    """The board file's peripherals as the port's defines: controllers as comma lists
    (bus 0 first), the names as one string (the table modules' grants may use)."""
    out = []

    def hexes(units, key):
        return ",".join("0x%08Xu" % _int(u[key]) for u in units)

    i2c, spi, uart = per.get("i2c", []), per.get("spi", []), per.get("uart", [])
    adc, pwm = per.get("adc", []), per.get("pwm", [])
    if i2c:
        out += [("WM_I2C_BASES", hexes(i2c, "base")), ("WM_I2C_HZ", "%du" % _int(i2c[0]["hz"]))]
    if spi:
        out += [("WM_SPI_BASES", hexes(spi, "base")), ("WM_SPI_HZ", "%du" % _int(spi[0]["hz"])),
                ("WM_SPI_CS", "%du" % _int(spi[0].get("cs", 1)))]
    if uart:
        if len(uart) > 2:
            raise ValueError("the mps2 port's vector table has two auxiliary UART slots")
        out += [("WM_AUX_UART_BASES", hexes(uart, "base")),
                ("WM_AUX_UART_IRQS", ",".join("%du" % _int(u["rx_irq"]) for u in uart))]
        out += [("WM_AUX_UART_IRQ%d" % i, "%du" % _int(u["rx_irq"])) for i, u in enumerate(uart)]
    if adc:
        bus = adc[0]["spi"].split("/")
        out += [("WM_ADC_SPI_BUS", "%du" % int(bus[0])), ("WM_ADC_SPI_CS", "%du" % int(bus[1])),
                ("WM_ADC_CHANNELS", ",".join("%du" % _int(a["channel"]) for a in adc))]
    if pwm:
        out += [("WM_PWM_TIMER_BASE", "0x%08Xu" % _int(pwm[0]["base"])),
                ("WM_PWM_TIMER_IRQ", "%du" % _int(pwm[0]["irq"])),
                ("WM_PWM_LED", "%du" % _int(pwm[0]["led"])),
                ("WM_PWM_MAX_HZ", "%du" % _int(pwm[0]["max_hz"]))]
    names = per.get("names", {})
    out.append(("WM_PERIPH_NAMES",
                env.StringifyMacro(",".join("%s=%s" % (k, v) for k, v in names.items()))))
    return out


if wm.get("peripherals"):
    defines += _periph_defines(wm["peripherals"])


# The flags and folders every build of the firmware shares (firmware/build.json, the one
# build description; wasmote.build_desc reads it for the host's builds).
with open(os.path.join(project_dir, "build.json"), encoding="utf-8") as f:
    desc = json.load(f)
target = desc["target"]
defines += desc["defines"]
core_dir = os.path.join(src_dir, "core")
env.Append(
    ASFLAGS=cpu_flags,
    ASPPFLAGS=cpu_flags,
    CFLAGS=["-std=" + desc["c_std"]],
    CCFLAGS=cpu_flags + [target["optimize"]] + target["debug"] + target["codegen"]
    + desc["warnings"],
    CPPDEFINES=defines,
    # core components include each other's headers by bare name
    CPPPATH=[os.path.join(project_dir, d) for d in desc["include_dirs"]]
    + [os.path.join(core_dir, c) for c in desc["components"]],
    LINKFLAGS=link_cpu_flags
    + target["link"]
    + [
        "-Wl,-Map," + os.path.join(build_dir, "firmware.map"),
        "-L" + port_dir,
    ],
    LIBS=target["libs"],
)

# MEMORY block from the manifest, then the port's sections.
os.makedirs(build_dir, exist_ok=True)
ldscript = os.path.join(build_dir, "wasmote_memory.ld")
regions = [("FLASH", "rx", mem["flash"]), ("STORE", "rw", mem["store"]), ("RAM", "rwx", mem["ram"])]
text = "/* generated from boards/%s.json by the wasmote-qemu platform */\nMEMORY\n{\n" % env.subst(
    "$BOARD"
)
for name, attrs, r in regions:
    text += "    %s (%s) : ORIGIN = 0x%08X, LENGTH = 0x%X\n" % (name, attrs, _int(r["base"]), _int(r["size"]))
text += "}\n__stack_size = 0x%X;\nINCLUDE %s\n" % (_int(mem["stack"]), wm["ldsections"])
if not os.path.exists(ldscript) or open(ldscript).read() != text:
    with open(ldscript, "w") as f:
        f.write(text)
env.Replace(LDSCRIPT_PATH=ldscript)

elf = env.BuildProgram()
env.Depends(elf, [ldscript, os.path.join(port_dir, wm["ldsections"])])
size = env.Alias("size", elf, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE"))
AlwaysBuild(size)
Default([elf])
