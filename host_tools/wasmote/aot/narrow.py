"""i64 multiplications of values that fit 32 bits, as 32x32->64 multiplications.

Compilers for wasm32 widen to i64 where the source multiplies in 64 bits: fixed-point code
(`(int64_t)x * q >> 31`) and the sums LLVM promotes to i64 because they cannot overflow
there (Embench's depthconv: `i64.load8_s`, `i64.add 128`, `i64.mul`, summed, times a
sign-extended multiplier). The C of a plain `i64.mul` is a 64x64 multiplication, which a
32-bit target does in three multiplies and an addition (umull, two mla) after computing
both operands' high words; when both operands are known to be sign-extended 32-bit values
`(s64)(s32)a * (s64)(s32)b` is exact and is one smull (and when only the low word is used,
one mul: GCC then drops the high words of the operands, the additions before them too).

This pass gives every i32 and i64 value on the operand stack a signed interval (exact
integers) where its producer makes one obvious: constants, the narrow loads, the sign and
zero extensions, and add/sub/mul of such values that provably do not wrap. Anything else,
a local, and every value crossing a block boundary, is unknown. An `i64.mul` whose two
operands lie in the signed (or both in the unsigned) 32-bit range is emitted narrow; the
result is the same number, so nothing else changes (translate.py, docs/aot.md).
"""

from __future__ import annotations

from wasmote.aot.checks import _Effects
from wasmote.aot.stackwalk import StackWalk
from wasmote.wasm.module import Instr

_S32 = (-(1 << 31), (1 << 31) - 1)
_U32 = (0, (1 << 32) - 1)
_S64 = (-(1 << 63), (1 << 63) - 1)

Iv = tuple[int, int] | None   # a signed interval (exact integers), or unknown

# loads whose value range their width gives: op -> interval
_LOADS: dict[int, tuple[int, int]] = {
    0x2C: (-128, 127), 0x2D: (0, 255), 0x2E: (-32768, 32767), 0x2F: (0, 65535),  # i32
    0x30: (-128, 127), 0x31: (0, 255), 0x32: (-32768, 32767), 0x33: (0, 65535),  # i64
    0x34: _S32, 0x35: _U32,
}
_ADD = {0x6A: 32, 0x7C: 64}
_SUB = {0x6B: 32, 0x7D: 64}
_MUL = {0x6C: 32, 0x7E: 64}
_AND = frozenset({0x71, 0x83})
_SHR_U = {0x76: 32, 0x88: 64}
I64_MUL = 0x7E

# the C of a narrowed i64.mul ({0}, {1}: the operands, u64 holding the values)
MUL_S32 = "(u64)((s64)(s32){0} * (s64)(s32){1})"
MUL_U32 = "(u64)(u32){0} * (u64)(u32){1}"


def _within(v: Iv, r: tuple[int, int]) -> bool:
    return v is not None and r[0] <= v[0] and v[1] <= r[1]


def _fit(lo: int, hi: int, bits: int) -> Iv:
    """[lo, hi] when no value wraps at `bits` (signed), else unknown."""
    r = _S32 if bits == 32 else _S64
    return (lo, hi) if r[0] <= lo and hi <= r[1] else None


def _binary(op: int, a: Iv, b: Iv) -> Iv:
    if a is None or b is None:
        return None
    if op in _ADD:
        return _fit(a[0] + b[0], a[1] + b[1], _ADD[op])
    if op in _SUB:
        return _fit(a[0] - b[1], a[1] - b[0], _SUB[op])
    corners = [x * y for x in a for y in b]
    return _fit(min(corners), max(corners), _MUL[op])


def _unary(op: int, a: Iv) -> Iv:
    if op == 0xAC:  # i64.extend_i32_s: the i32 read as signed
        return a if _within(a, _S32) else _S32
    if op == 0xAD:  # i64.extend_i32_u
        return a if _within(a, (0, _S32[1])) else _U32
    if op in (0xC0, 0xC2):  # extend8_s
        return a if _within(a, (-128, 127)) else (-128, 127)
    if op in (0xC1, 0xC3):  # extend16_s
        return a if _within(a, (-32768, 32767)) else (-32768, 32767)
    if op == 0xC4:  # i64.extend32_s
        return a if _within(a, _S32) else _S32
    return None


_UNARY = frozenset({0xAC, 0xAD, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4})


class _Narrow(StackWalk[tuple[int, int]]):
    def __init__(self, effects: _Effects, type_arity: list[tuple[int, int]]) -> None:
        super().__init__(type_arity)
        self.effects = effects
        # what the locals hold since the last point where paths merge (a loop's head, an
        # else, an end): a local set on this path keeps its value's interval until then
        self.local: dict[int, Iv] = {}
        self.out: dict[int, str] = {}

    def merged(self) -> None:
        self.local.clear()

    def step(self, idx: int, ins: Instr) -> bool:
        op = ins.op
        stack, pop = self.stack, self.pop
        if op in (0x41, 0x42):  # i32.const, i64.const: read as signed
            bits = 32 if op == 0x41 else 64
            c = ins.imm[0] & ((1 << bits) - 1)
            c -= (c >> (bits - 1)) << bits
            stack.append((c, c))
        elif op == 0x0D:  # br_if: the condition goes, the values stay
            pop()
        elif op == 0x20:
            stack.append(self.local.get(ins.imm[0]))
        elif op in (0x21, 0x22):
            value = self.local[ins.imm[0]] = pop()
            if op == 0x22:  # local.tee: the value stays
                stack.append(value)
        elif op in _LOADS:
            pop()
            stack.append(_LOADS[op])
        elif op in _ADD or op in _SUB or op in _MUL:
            b, a = pop(), pop()
            if op == I64_MUL:
                if _within(a, _S32) and _within(b, _S32):
                    self.out[idx] = MUL_S32
                elif _within(a, _U32) and _within(b, _U32):
                    self.out[idx] = MUL_U32
            stack.append(_binary(op, a, b))
        elif op in _AND:  # a non-negative operand bounds the result
            b, a = pop(), pop()
            his = [v[1] for v in (a, b) if v is not None and v[0] >= 0]
            stack.append((0, min(his)) if his else None)
        elif op in _SHR_U:  # by a constant k: below 2^(bits - k)
            b, a = pop(), pop()
            if b is None or b[0] != b[1]:  # by any amount: anywhere from 0 up to a
                stack.append((0, a[1]) if a is not None and a[0] >= 0 else None)
                return True
            k = b[0] % _SHR_U[op]
            if a is not None and a[0] >= 0:
                stack.append((a[0] >> k, a[1] >> k))
            else:
                stack.append((0, (1 << (_SHR_U[op] - k)) - 1) if k else None)
        elif op in _UNARY:
            stack.append(_unary(op, pop()))
        elif not self.effects.unmodelled(ins, stack, lambda: None, self.ctl[-1].base):
            return False  # not translated either (translate.py says so): stop here
        return True


def plan(instrs: list[Instr], func_arity: list[tuple[int, int]],
         type_arity: list[tuple[int, int]]) -> dict[int, str]:
    """Instruction index -> the C template of each i64.mul that can be done narrow."""
    w = _Narrow(_Effects(func_arity, type_arity), type_arity)
    w.walk(instrs)
    return w.out
