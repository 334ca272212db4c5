"""Host-side robustness campaign: runs tests/campaigns/test_host_robustness.py (hypothesis)
with many more examples than the CI run and prints, per surface, how many damaged inputs
were tried and which documented errors they ended in. Any other exception, or a CLI
traceback, fails the run with hypothesis's minimal example.

    python -m tests.campaigns.host_fuzz --examples 3000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence

from tests.campaigns.common import CAMPAIGN_DIR, Stopwatch, Table
from wasmote.paths import REPO_ROOT

TEST = "tests/campaigns/test_host_robustness.py"


def report(counts: dict[str, dict[str, int]]) -> str:
    t = Table(["surface", "inputs", "accepted", "documented errors"])
    for surface in sorted(counts):
        c = counts[surface]
        errs = ", ".join(f"{k} {v}" for k, v in sorted(c.items()) if k != "ok")
        t.add(surface, sum(c.values()), c.get("ok", 0), errs or "-")
    total = sum(sum(c.values()) for c in counts.values())
    return f"{t.render()}\n\ntotal inputs: {total}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.campaigns.host_fuzz",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=3000,
                    help="scale of the run (the CI run uses 40; each surface gets a "
                         "multiple of it)")
    args = ap.parse_args(argv)
    out = CAMPAIGN_DIR / "host_robustness.json"
    out.unlink(missing_ok=True)
    watch = Stopwatch()
    env = dict(os.environ, WASMOTE_HOST_FUZZ_EXAMPLES=str(args.examples))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-o", "addopts=", "--timeout=0", TEST], cwd=REPO_ROOT, env=env,
                          check=False)
    if not out.is_file():
        print("error: the robustness tests wrote no figures", file=sys.stderr)
        return 2
    counts = json.loads(out.read_text())
    print(report(counts))
    print(f"seconds: {watch.seconds():.0f}; pytest exit status {proc.returncode}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
