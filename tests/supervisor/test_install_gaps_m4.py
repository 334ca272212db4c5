"""Every step of an install on the Cortex-M4 feeds the watchdog at least every ~1.1 M
instructions, the pre-decoded translator and the load's checks of a stored form included.

`python -m bench.install_worst` runs the install's steps on mps2-an386 under QEMU
`-icount shift=0` on modules shaped to make one loop as long as it can be (the largest as
large as the store lets a package be) and reports the most instructions between two
kicks of the work meter. The translator charged each instruction but not a function's own
cost, so 68 000 empty functions ran 3.95 M instructions without a kick (and wm_pd_attach's
offsets and trace map, run at every load of a stored form, 1.2 M and 2.1 M in one go);
the bound the docs give (docs/reliability.md, "The worst install against the watchdog")
is 1.05 M (the export check at the cap). A module of empty loops reached 1.17 M once the
validator's control frames moved into its shared scratch, until a frame was charged.
"""

from __future__ import annotations

import pytest

from bench.install_worst import Step, build, run

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

GAP_MOST = 1_100_000  # the docs' worst gap (1.05 M, the export check at the cap) and 5 %


@pytest.fixture(scope="module")
def steps() -> dict[tuple[str, str], Step]:
    return run(build())


def test_no_install_step_runs_long_without_a_kick(steps: dict[tuple[str, str], Step]) -> None:
    over = {k: s.worst_gap for k, s in steps.items() if s.worst_gap > GAP_MOST}
    assert not over, over


def test_the_translator_and_the_form_check_are_measured(steps: dict[tuple[str, str], Step]) -> None:
    # the shapes that make them long did run (a form, and an attach that kicked)
    assert steps[("predecode", "many_functions")].form > 500_000
    assert steps[("pd_attach", "many_functions")].kicks >= 3
    assert steps[("pd_attach", "calls")].kicks >= 3
    # a form past the install's ratio is refused, after work the meter saw
    assert steps[("predecode", "br_table")].rc != 0
