"""A subset of the spec suite AOT-compiled for Cortex-M4F (mps2-an386), RV32IMAC
(riscv32-virt) and Xtensa LX106 (xtensa-lx106) and run natively on the firmware under QEMU:
the spec-test image's driver receives each module as a package (hex over the UART),
attaches its AOT section in place (core/aot, the Thumb-2 / RV32 / call0 switch) and runs it
- on the Cortex-M4F isolated, unprivileged under the MPU with every runtime service through
the SVC gate (docs/aot.md). Catches code generation, soft-float, libgcc, calling-convention,
context-switch and isolation bugs the host cannot."""

from __future__ import annotations

import pytest

from tests.aot.spec_exclusions import DEVICE_EXCLUSIONS
from tests.aot.test_aot_spec import module_paths
from tests.firmware.conftest import spectest_image
from tests.harness.aot_spec_transport import AotTransport
from tests.harness.spec_driver import StreamTransport
from tests.harness.spec_runner import FileReport, run_spec_file, summary_table
from wasmote.aot.blob import ABI_VERSION
from wasmote.aot.targets import target_for_board
from wasmote.package.container import AotArch

# The subset first; then files that exercise other code paths and cost little over
# the UART (float_exprs and memory_copy are left to the host run: ~100 modules each travel
# as hex, 2 minutes per board). memory_init and table_fill: services of five arguments,
# whose count the Cortex-M gate once left on the stack unread (n = 0: nothing done).
FILES = ["i32", "i64", "f32", "f64", "conversions", "memory", "call_indirect", "br_table",
         "address", "endianness", "int_exprs", "fac", "call", "select", "memory_fill",
         "traps", "left-to-right", "stack", "memory_init", "table_fill"]

# CI time: on the LX106 each file costs 2-40 s (AOT compile of the generated C, hex over the
# emulated UART). What CI keeps covers the helpers in AOT images (i64, f32, conversions),
# PC-relative calls and call_indirect, traps, unaligned accesses (address) and the call0
# switch (stack, call, fac); all 18 pass by hand (LEFT_OUT emptied, ~4.5 min cold).
LEFT_OUT = {"xtensa-lx106": {"br_table", "memory", "int_exprs", "f64", "i32", "memory_fill",
                             "left-to-right", "endianness", "memory_init", "table_fill"}}

BOARDS = {"mps2-an386": AotArch.THUMBV7EM, "riscv32-virt": AotArch.RV32IMAC,
          "xtensa-lx106": AotArch.XTENSA_LX106}
# native code runs isolated by the MPU (PMSAv7) on the Cortex-M4F; RV32 and the LX106 have
# no isolation (software bounds checks)
MPU = {"mps2-an386": 7, "riscv32-virt": 0, "xtensa-lx106": 0}


@pytest.fixture(scope="module", params=list(BOARDS))
def device(request):
    board = request.param
    # one answer; big packages take a while over the UART
    with spectest_image(board, answer_timeout=120) as (ser, boot):
        assert any(f"aot={int(BOARDS[board])} abi={ABI_VERSION} mpu={MPU[board]}" in ln
                   for ln in boot), boot
        yield AotTransport(StreamTransport(ser), target_for_board(board)), board


@pytest.fixture(scope="module")
def reports():
    collected: list[FileReport] = []
    yield collected
    if collected:
        print("\n" + summary_table(collected, "spec subset AOT-compiled, on Cortex-M4F "
                                   "(mps2-an386), RV32IMAC (riscv32-virt), Xtensa LX106 "
                                   "(xtensa-lx106), QEMU"))


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("name", FILES)
def test_aot_spec_subset_on_device(name, device, reports, spec_json_dir):
    transport, board = device
    if name in LEFT_OUT.get(board, ()):
        pytest.skip(f"{name} is left out on {board} to save CI time (see LEFT_OUT)")
    json_path = spec_json_dir / name / f"{name}.json"
    transport.prepare(module_paths(json_path))
    before = transport.compiled
    report = run_spec_file(json_path, transport, DEVICE_EXCLUSIONS)
    reports.append(report)
    counts = report.counts()
    assert sum(c["pass"] for c in counts.values()) > 0
    assert not report.failures and not report.driver_error, f"{board}: " + report.failure_text()
    assert transport.compiled > before, "no module ran as AOT code"
