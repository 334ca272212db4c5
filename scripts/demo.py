"""The README's main demo. Grows with the product: each stage prints what it does."""

from __future__ import annotations

import sys


def main() -> int:
    print("wasmote demo: nothing to show yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
