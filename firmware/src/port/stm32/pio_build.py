"""PlatformIO post script of the nucleo_l476rg environment (platform ststm32, no framework).

build_flags (platformio.ini) give the CPU and the config area; the flags, defines, include
path and link flags every build of the firmware shares come from firmware/build.json, as in
the QEMU builder. The link needs the same CPU/float ABI as the compile (libgcc's hard-float
multilib) and no C library or start files: the image brings its own start-up code and mem*
functions, exactly as the QEMU boards. tests/firmware/test_firmware_build.py links the same
sources with the same flags using the Debian arm-none-eabi-gcc.
"""

import json
import os

Import("env", "projenv")  # noqa: F821  (SCons injects Import)

CPU = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
project = env.subst("$PROJECT_DIR")  # noqa: F821
core = os.path.join(env.subst("$PROJECT_SRC_DIR"), "core")  # noqa: F821
with open(os.path.join(project, "build.json"), encoding="utf-8") as f:
    desc = json.load(f)
target = desc["target"]
for e in (env, projenv):  # noqa: F821
    e.Append(CFLAGS=["-std=" + desc["c_std"]],
             CCFLAGS=[target["optimize"], *target["debug"], *target["codegen"], *desc["warnings"]],
             CPPDEFINES=list(desc["defines"]),
             # core components include each other's headers by bare name
             CPPPATH=[*(os.path.join(project, d) for d in desc["include_dirs"]),
                      *(os.path.join(core, c) for c in desc["components"])])
env.Append(LINKFLAGS=[*CPU, *target["link"]])  # noqa: F821
env.Replace(LIBS=target["libs"])  # noqa: F821
