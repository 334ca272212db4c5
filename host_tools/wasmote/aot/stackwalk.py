"""One forward pass over a function body with an abstract value per operand-stack slot.

The analyses that follow values through straight-line code (ranges.py: i32 intervals,
narrow.py: signed intervals for i64 multiplies) share the structure: a value that crosses
a block boundary (block parameters and results, loop parameters) is unknown (None), code
after br/br_table/return/unreachable is skipped up to its block's else or end, and a
subclass gives the effect of every other instruction (`step`) and, if it tracks what the
locals hold along a path, forgets it where paths meet (`merged`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Generic, TypeVar

from wasmote.aot.checks import block_arity
from wasmote.wasm.module import Instr

V = TypeVar("V")


@dataclass
class _Frame:
    base: int      # stack height below the block's parameters
    nparams: int
    nresults: int


class StackWalk(ABC, Generic[V]):
    def __init__(self, type_arity: list[tuple[int, int]]) -> None:
        self.type_arity = type_arity
        self.stack: list[V | None] = []
        self.ctl: list[_Frame] = [_Frame(0, 0, 0)]

    def pop(self) -> V | None:
        return self.stack.pop() if len(self.stack) > self.ctl[-1].base else None

    @abstractmethod
    def step(self, idx: int, ins: Instr) -> bool:
        """The effect of a non-control instruction on the stack; False: stop the walk."""

    def merged(self) -> None:
        """Paths meet here: a loop's head, an else, an end."""

    def loop_head(self, idx: int) -> None:
        """The loop at idx starts here: what the path into it holds, before it merges."""

    def _restart(self, results: bool) -> None:
        self.merged()
        f = self.ctl[-1]
        del self.stack[f.base:]
        self.stack.extend([None] * (f.nresults if results else f.nparams))

    def walk(self, instrs: list[Instr]) -> None:
        live = True
        dead = 0  # blocks opened inside unreachable code
        for idx, ins in enumerate(instrs):
            op = ins.op
            if not live:  # unreachable: only the nesting matters (nothing in it runs)
                if op in (0x02, 0x03, 0x04):
                    dead += 1
                elif op == 0x0B and dead:
                    dead -= 1
                elif op == 0x05 and not dead:
                    self._restart(False)
                    live = True
                elif op == 0x0B:
                    self._restart(True)
                    self.ctl.pop()
                    if not self.ctl:
                        return
                    live = True
                continue
            if op in (0x02, 0x03, 0x04):
                if op == 0x04:
                    self.pop()
                if op == 0x03:
                    self.loop_head(idx)
                    self.merged()
                np, nr = block_arity(ins.imm[0], self.type_arity)
                for _ in range(np):
                    self.pop()
                self.ctl.append(_Frame(len(self.stack), np, nr))
                self.stack.extend([None] * np)
            elif op == 0x05:
                self._restart(False)
            elif op == 0x0B:
                self._restart(True)  # the results stay, on the enclosing frame's stack
                self.ctl.pop()
                if not self.ctl:
                    return
            elif op in (0x00, 0x0C, 0x0E, 0x0F):
                live = False
                dead = 0
            elif not self.step(idx, ins):
                return
