"""PlatformIO post script of the nucleo_l476rg environment (platform ststm32, no framework).

build_flags reach only the compiler; the link needs the same CPU/float ABI (libgcc's
hard-float multilib) and no C library or start files: the image brings its own start-up
code and mem* functions, exactly as the QEMU boards. The core's components include each
other's headers by bare name, so their folders go on the include path (as in every build).
tests/firmware/test_firmware_build.py links the same sources with the same flags using the
Debian arm-none-eabi-gcc.
"""

import glob
import os

Import("env", "projenv")  # noqa: F821  (SCons injects Import)

CPU = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
src = env.subst("$PROJECT_SRC_DIR")  # noqa: F821
core = os.path.join(src, "core")
for e in (env, projenv):  # noqa: F821
    e.Append(CPPPATH=[core, *sorted(d for d in glob.glob(os.path.join(core, "*"))
                                    if os.path.isdir(d))])
env.Append(LINKFLAGS=[*CPU, "-nostartfiles", "-nostdlib", "-Wl,--gc-sections"])  # noqa: F821
env.Replace(LIBS=["gcc"])  # noqa: F821
