"""wasmote's in-repo PlatformIO dev-platform: no packages, Debian cross compilers."""

from platformio.public import PlatformBase


class WasmoteqemuPlatform(PlatformBase):
    def is_embedded(self):
        return True
