"""Flash size of the device-side sandbox (firmware/src/core/sandbox) on a Cortex-M4.

Compiles the core freestanding (-Os, the firmware's flags) and prints `arm-none-eabi-size`
text per sandbox object, with the runtime and crypto components measured in the same run
as references (ratio = sandbox / that component). Object sizes before linking: an upper
bound of what a firmware image carries.

    python -m bench.sandbox_size
"""

from __future__ import annotations

from wasmote import posix_build


def main() -> None:
    sandbox = posix_build.arm_core_size(["sandbox"])
    runtime = posix_build.arm_core_size(["runtime"])
    crypto = posix_build.arm_core_size(["crypto"])
    print(f"flags: {' '.join(sandbox.flags)}")
    print(f"{'object':<16}{'text':>8}{'data':>6}{'bss':>6}")
    for o in sorted(sandbox.objects, key=lambda o: -o.text):
        name = o.name.rsplit("__", 1)[-1]
        print(f"{name:<16}{o.text:>8}{o.data:>6}{o.bss:>6}")
    print(f"{'sandbox total':<16}{sandbox.text:>8}{sandbox.data:>6}{sandbox.bss:>6}")
    print()
    print(f"{'component':<16}{'text':>8}{'sandbox/it':>12}")
    for name, rep in (("runtime", runtime), ("crypto", crypto)):
        print(f"{name:<16}{rep.text:>8}{sandbox.text / rep.text:>12.2f}")


if __name__ == "__main__":
    main()
