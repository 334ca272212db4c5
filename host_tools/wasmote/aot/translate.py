"""wasm -> C: every function of a validated module as a C function with the spec's semantics.

The wasm operand stack becomes C variables named by depth and type (`s3i` is the i32 at
depth 3), locals become `l<k>`, structured control flow becomes labels and gotos (a branch
copies the values it carries into the target's slots). The C compiler then does register
allocation and optimisation; what the generated code adds over plain C is exactly what the
sandbox needs (docs/aot.md):

- a bounds check on every memory access (`CHK`), traps with the interpreter's reasons,
- fuel: at every check point (function entry, a loop entered from above and every branch
  back to it, a call, a return) `CHARGE(k)` with the k the interpreter charges there
  (wasmote.wasm.fuel), kept in a local; a function that returns nothing or one i32 takes
  it as an argument and returns it (wm_rf), another that calls nothing by address, the
  rest through the runtime's c->fuel; every call charges its callee's entry with its own
  check point (CHARGE2); bulk work charged by size in the pieces the fuel pays for,
- a stack-pointer check at the entry of every function that calls (`STACK_CHECK`),
- call_indirect through a per-signature dispatcher: a switch over this module's functions
  of that signature (PC-relative jump table, no pointers in data), anything else through
  the runtime with a structural type check.

The helpers and macros are in firmware/src/core/aot/wm_aot_prelude.h; the runtime side of the
ABI in wm_aot_abi.h.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wasmote.aot import (
    callloops,
    checks,
    cmpbound,
    dominated,
    guardhoist,
    guards,
    inlining,
    loopcost,
    loopfuel,
    loops,
    narrow,
    outerloops,
    paramfacts,
    prepay,
    rangehoist,
    ranges,
    remat,
    returnfacts,
    selectload,
    sizecap,
    stackcheck,
    walkfuel,
)
from wasmote.errors import WasmoteError
from wasmote.wasm import fuel as fuel_rule
from wasmote.wasm.module import (
    BLOCK_EMPTY,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    KIND_FUNC,
    KIND_MEMORY,
    FuncType,
    Instr,
    Module,
    valtype_from_blocktype,
)
from wasmote.wasm.opcodes import (
    NAME_TO_OP,
    OP_ELSE,
    OP_END,
    OP_REF_FUNC,
    OP_REF_NULL,
    OP_SELECT_T,
    OPS,
    op_name,
)

CTYPE = {I32: "u32", I64: "u64", F32: "f32", F64: "f64", FUNCREF: "ref", EXTERNREF: "ref"}
TCHAR = {I32: "i", I64: "l", F32: "f", F64: "d", FUNCREF: "r", EXTERNREF: "r"}

# Trap codes (wm_aot_abi.h).
TRAP_UNREACHABLE = "WM_AOT_TRAP_UNREACHABLE"
TRAP_DIV = "WM_AOT_TRAP_DIV_ZERO"
TRAP_OVF = "WM_AOT_TRAP_INT_OVERFLOW"
TRAP_MEM = "WM_AOT_TRAP_MEM_OOB"
TRAP_UNDEF = "WM_AOT_TRAP_UNDEF_ELEM"
TRAP_UNINIT = "WM_AOT_TRAP_UNINIT_ELEM"
TRAP_TABLE = "WM_AOT_TRAP_TABLE_OOB"


# the compares and eqz tests, whose value is 0 or 1 (i32.eqz .. f64.ge)
_TESTS = frozenset(range(0x45, 0x67))


class TranslateError(WasmoteError):
    """The module uses something the AOT compiler does not translate."""


@dataclass(frozen=True)
class Translation:
    source: str                 # the C translation unit
    entries: tuple[int, ...]    # defined-function indices that get an entry (wm_e<j>)
    sig_hashes: tuple[int, ...]  # per defined function (wm_aot_sig_hash)
    # functions that call without a stack check, each with the leaves it calls
    unchecked: dict[int, frozenset[int]] = field(default_factory=dict)


def sig_hash(ft: FuncType) -> int:
    """FNV-1a over the value type bytes, ':' between params and results (wm_aot_abi.h)."""
    h = 2166136261
    for t in ft.params:
        h = ((h ^ t) * 16777619) & 0xFFFFFFFF
    h = ((h ^ 0x3A) * 16777619) & 0xFFFFFFFF
    for t in ft.results:
        h = ((h ^ t) * 16777619) & 0xFFFFFFFF
    return h


def _hex32(v: int) -> str:
    return f"0x{v & 0xFFFFFFFF:x}u"


def _hex64(v: int) -> str:
    return f"0x{v & 0xFFFFFFFFFFFFFFFF:x}ull"


def to_slot(t: int, expr: str) -> str:
    """A C value of wasm type t as a 64-bit io slot."""
    if t == F32:
        return f"(u64)wm_f32u({expr})"
    if t == F64:
        return f"wm_f64u({expr})"
    return f"(u64)({expr})"


def from_slot(t: int, expr: str) -> str:
    if t == I32:
        return f"(u32)({expr})"
    if t == I64:
        return f"(u64)({expr})"
    if t == F32:
        return f"wm_uf32((u32)({expr}))"
    if t == F64:
        return f"wm_uf64({expr})"
    return f"(ref)({expr})"


@dataclass
class _Ctl:
    kind: str                  # block, loop, if, func
    label: int
    base: int                  # stack height where the frame's params start
    params: tuple[int, ...]
    results: tuple[int, ...]
    live: bool                 # reachable when entered
    branched: bool = False     # a branch targets the end label
    has_else: bool = False
    at: int = -1               # loop: its instruction index (its fuel)
    counts: str = ""           # loop: branches back counted in this variable, not charged
    prepay: prepay.Prepay | None = None  # loop: its branches back pay an inner entry too
    # a walk's copies (walkfuel.py): where a branch back goes, what it charges ("": as
    # usual), what leaving this frame gives back
    back: str = ""
    refund: int = 0


@dataclass
class _ModuleInfo:
    mod: Module
    types: list[FuncType]
    func_types: list[FuncType]          # every function index, imports first
    nimports: int
    global_types: list[tuple[int, bool]]
    global_consts: dict[int, str]       # immutable defined globals with a constant init
    mem_static: bool                    # memory size never changes after instantiation
    # bytes memory 0 has whenever the code runs (the entries check it; 0: nothing assumed)
    mem_min: int = 0
    # what the C compiler is told of it (WM_MEM_NEED, _MEM_NEED_MIN)
    mem_need: int = 0
    # per defined function: the intervals of its values (None without bounds checks)
    value_ranges: list[ranges.Ranges | None] = field(default_factory=list)
    # per defined function: i32 parameter -> the extent every call site proved
    # (paramfacts.py; empty without bounds checks)
    param_facts: list[dict[int, int]] = field(default_factory=list)
    # function index -> what its every normal return proved of its parameters
    # (returnfacts.py; empty without bounds checks)
    return_facts: dominated.Returns = field(default_factory=dict)
    # per defined function: a call to it may change the memory's size (_may_grow)
    may_grow: list[bool] = field(default_factory=list)
    result_structs: dict[tuple[int, ...], str] = field(default_factory=dict)
    dispatchers: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[str, int]] = \
        field(default_factory=dict)
    # with fuel: every defined function's check points (wasmote.wasm.fuel)
    fuel_plans: list[fuel_rule.FuncFuel] = field(default_factory=list)
    # defined functions that call nothing (their entry, like every function's, is charged
    # by whoever calls them: CHARGE2), with that entry's charge
    precharged: dict[int, int] = field(default_factory=dict)
    # short leaves without loops or bulk work: their only other check point is the return,
    # which a direct call charges too, running a copy (wf<j>_q) that need not check it
    # (CHARGE3)
    flat: dict[int, int] = field(default_factory=dict)
    # functions that call only leaves: no stack check of their own (stackcheck.py)
    leaf_callers: dict[int, frozenset[int]] = field(default_factory=dict)
    # functions with a loop that recurses or calls an import (callloops.py)
    call_loops: frozenset[int] = frozenset()
    # small functions inlined into the loops that call them (inlining.py)
    inlined: frozenset[int] = frozenset()
    # functions that check the stack at their entry (the others' entries check it: _entry)
    stack_checked: set[int] = field(default_factory=set)
    # (parameter count, result count) of every function index and of every type: what the
    # stack walks (checks, dominated, loops, guards, narrow, loopfuel, loopcost) take
    func_arity: list[tuple[int, int]] = field(init=False)
    type_arity: list[tuple[int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.func_arity = [(len(t.params), len(t.results)) for t in self.func_types]
        self.type_arity = [(len(t.params), len(t.results)) for t in self.types]

    def fuel_in_regs(self, j: int) -> bool:
        """Does defined function j take the slice as an argument and give it back with its
        result (wm_rf)? With fuel, every function that returns nothing or one i32, which
        fit in two return registers together, except flat leaves (CHARGE3: GCC inlines
        them, and by value cost embench-crc32 +5 %, tarfind +7 %); the others get it by
        address (FUEL_P, a function that calls nothing) or in c->fuel."""
        return bool(self.fuel_plans) and j not in self.flat and \
            self.types[self.mod.funcs[j].type_idx].results in ((), (I32,))

    def call_parts(self, j: int, fn: str, args: str) -> tuple[str, str, str]:
        """A call of defined function j (named `fn`: wf<j> or its copy) with the slice in
        the caller's `fl`, as C: what comes before, the expression of its result (or of
        the call, without results), what comes after. `args`: each after a comma."""
        if self.fuel_in_regs(j):
            if self.types[self.mod.funcs[j].type_idx].results:
                return f"const wm_rf rf_ = {fn}(fl, c{args}); fl = RF_FL(rf_);", "RF_V(rf_)", ""
            return f"fl = {fn}(fl, c{args});", "", ""
        if fn.endswith("_q"):
            # a flat leaf's copy: the caller charged its return already, so the slice it
            # leaves is the caller's as it is; the copy takes it by value for its traps
            return "", f"{fn}(fl, c{args})", ""
        if j in self.precharged:
            return "CALL_IN();", f"{fn}(c FUEL_A{args})", "CALL_OUT();"
        return "SYNC_OUT();", f"{fn}(c{args})", "SYNC_IN();"

    def mem_in(self, j: int) -> bool:
        """Does wf<j> take the memory base and size from its caller? An inlined function
        that uses the memory (inlining.py): the caller's are current at the call (reloaded
        after whatever may grow the memory), and the callee's own loads of them would be
        made again at each call, after every charge's cold call GCC cannot see through."""
        return j in self.inlined and any(i.op in _MEM_OPS for i in self.mod.funcs[j].instrs)

    def attrs(self, j: int) -> str:
        """What comes before wf<j>'s declaration: less hoisting out of loops whose calls
        recurse or leave the module (callloops.py)."""
        if j in self.inlined:
            return "WM_INLINE "
        return "WM_CALL_LOOPS " if j in self.call_loops else ""

    def wf_type(self, j: int) -> str:
        """The C return type of wf<j>."""
        results = self.types[self.mod.funcs[j].type_idx].results
        if self.fuel_in_regs(j):
            return "wm_rf" if results else "intptr_t"
        return self.result_type(results)

    def wf_params(self, j: int, params: str) -> str:
        """The parameter list of wf<j> (`params`: the wasm parameters, each after a comma).
        FUEL_R puts the slice first: it comes back in the first return register, so
        between two calls it stays where it is (for a function that returns nothing)."""
        if self.mem_in(j):
            params += ", uint8_t *const mb_, const wm_msz_t msz_"
        if self.fuel_in_regs(j):
            return f"intptr_t fl, wm_aot_ctx *c{params}"
        if j in self.precharged:
            return f"wm_aot_ctx *c FUEL_P{params}"
        return f"wm_aot_ctx *c{params}"

    def wf_q_params(self, j: int, params: str) -> str:
        """The parameter list of flat leaf j's copy wf<j>_q: the slice by value (its caller
        keeps its own; the copy reads it only to report a trap's fuel)."""
        return self.wf_params(j, params).replace("wm_aot_ctx *c FUEL_P",
                                                 "intptr_t flq, wm_aot_ctx *c")

    def result_type(self, results: tuple[int, ...]) -> str:
        if not results:
            return "void"
        if len(results) == 1:
            return CTYPE[results[0]]
        name = self.result_structs.get(results)
        if name is None:
            name = f"wm_r{len(self.result_structs)}"
            self.result_structs[results] = name
        return name

    def dispatcher(self, ft: FuncType, type_idx: int) -> str:
        key = (ft.params, ft.results)
        got = self.dispatchers.get(key)
        if got is None:
            got = (f"wm_d{len(self.dispatchers)}", type_idx)
            self.dispatchers[key] = got
        return got[0]


class _FuncGen:
    def __init__(self, info: _ModuleInfo, j: int, fuel: bool, bounds: bool = True) -> None:
        self.info = info
        self.j = j
        self.fuel = fuel
        # what each check point charges, by the interpreter's rule
        self.costs = info.fuel_plans[j] if fuel else fuel_rule.FuncFuel(0, 0)
        m = info.mod
        f = m.funcs[j]
        self.ftype = info.types[f.type_idx]
        self.local_types = list(self.ftype.params) + f.local_types()
        self.instrs = f.instrs
        # the instructions of the loop whose ordinary copy is being emitted behind a fast
        # one (fast_loop, two_copies), or a segment's checked copy: code expected cold
        self.cold: tuple[int, int] = (0, -1)
        # a call_indirect in a loop reads its table through tl<t>e/tl<t>s, loaded at the
        # entry of the innermost loop around it; one in no loop reads the context there
        self.ci_loop, self.loop_tables = _indirect_loops(self.instrs)
        self.out: list[str] = []
        self.stack: list[int] = []
        self.ctl: list[_Ctl] = []
        self.slots: set[tuple[int, int]] = set()
        self.labels = 0
        self.live = True
        # known before generating: a call must reload msz whether or not an access follows
        self.uses_mem = any(i.op in _MEM_OPS for i in self.instrs)
        # the k of the accesses checked against the function's one limit (check())
        self.limit_ks: list[int] = []
        # only without loops: in a loop GCC keeps each k's msz - k out of the loop, and
        # folds the shared limit's two compares back into a per-iteration a + k > msz
        self.one_limit = not any(i.op == _OP_LOOP for i in self.instrs)
        # without bounds checks (bounds=False) there is nothing to combine or hoist
        plan_checks = self.uses_mem and bounds
        # accesses that need no check: their address range lies within info.mem_min, or an
        # earlier access on every path proved them (dominated.py)
        self.static = self.static_accesses() if plan_checks else frozenset()
        fa, ta = info.func_arity, info.type_arity
        vr = info.value_ranges[j] if info.value_ranges else None
        # accesses that only the facts every caller proved of the parameters prove
        # (paramfacts.py; marked in the C)
        self.by_callers: frozenset[int] = frozenset()
        # ... and those only a callee's facts on return prove (returnfacts.py; marked too)
        self.by_returns: frozenset[int] = frozenset()
        if plan_checks:
            facts = info.param_facts[j]
            rets = info.return_facts
            proved = dominated.proven(self.instrs, ta, fa, facts, rets)
            if facts:
                self.by_callers = (proved - dominated.proven(self.instrs, ta, fa, None, rets)
                                   - self.static)
            if any(ins.op == _OP_CALL and ins.imm[0] in rets for ins in self.instrs):
                self.by_returns = proved - dominated.proven(self.instrs, ta, fa, facts) \
                    - self.static
            self.static |= proved
        # straight-line segments whose accesses share one combined bounds check (checks.py)
        self.segments = checks.plan(self.instrs, fa, ta, self.static) if plan_checks else {}
        self.fast: dict[int, tuple[int, int]] = {}
        self.index = 0
        # instructions a select emitted with the load they feed (selectload.py)
        self.skip = range(0)
        # which loops run too few times for a second copy's entry test (loopcost.py)
        self.loop_costs = loopcost.LoopCosts(self.instrs, fa, ta, vr.locals if vr else ())
        # counted loops whose accesses are checked once, before the loop (loops.py)
        self.loops: dict[int, loops.LoopPlan] = {}
        # loops whose invariant bases are checked once, before the loop (guards.py)
        self.guards: dict[int, guards.GuardPlan] = {}
        self.unchecked: frozenset[int] = frozenset()  # a guarded copy's accesses
        # loops whose accesses the program's own compares bound (cmpbound.py)
        self.cmpb: dict[int, cmpbound.CmpPlan] = {}
        i32s = frozenset(k for k, t in enumerate(self.local_types) if t == I32)
        if plan_checks:
            for k, ins in enumerate(self.instrs):
                if ins.op == _OP_LOOP:
                    lp = loops.plan_loop(self.instrs, k, fa, ta, skip=self.static,
                                         costs=self.loop_costs)
                    if lp is not None:
                        self.loops[k] = lp
                    skip = self.static | (frozenset(lp.fast) if lp else frozenset())
                    gp = guards.plan_guards(self.instrs, k, fa, ta,
                                            vr.locals if vr else (), skip)
                    if gp is not None:
                        self.guards[k] = gp
                    elif lp is None:
                        # accesses after the program's own compares (cmpbound.py)
                        cp = cmpbound.plan(self.instrs, k, fa, ta, i32s, self.static)
                        if cp is not None:
                            self.cmpb[k] = cp
        # i64.mul of values that fit 32 bits: index -> its narrow C (narrow.py)
        self.narrow = narrow.plan(self.instrs, fa, ta)
        # locals holding one pure value of the parameters, computed at each use (remat.py)
        self.remat = remat.plan(self.instrs, self.local_types, len(self.ftype.params)) \
            if j in info.call_loops else {}
        # counted loops whose fuel is paid once, before the loop (loopfuel.py)
        self.loopfuel: dict[int, loopfuel.FuelLoop] = {}
        # the rest of the short loops: their fuel charged a few iterations ahead (walkfuel.py)
        self.walks: dict[int, walkfuel.WalkLoop] = {}
        if fuel:
            outermost = walkfuel.outermost_loops(self.instrs)
            for k, ins in enumerate(self.instrs):
                if ins.op == _OP_LOOP:
                    fp = loopfuel.plan(self.instrs, k, fa, ta, self.costs.loop_in[k],
                                       self.costs.loop_back[k], self.loop_costs)
                    if fp is not None:
                        self.loopfuel[k] = fp
                    elif k not in self.loops and k not in self.guards and \
                            loopfuel.plan(self.instrs, k, fa, ta, 0, 0) is None:
                        # a counted loop loopfuel.py declines runs a few times (loopcost.py):
                        # there the copies' exits cost more than the charges they save
                        wl = walkfuel.plan(self.instrs, k, self.costs.loop_back[k], fa, ta,
                                           outermost)
                        cp = self.cmpb.get(k)
                        # a walk saves a charge a pass, cmpbound's copy a check an access
                        # less its entry test: the walk for one or two accesses, the copy
                        # for more (M4 with fuel: the copy always, slre 4.13 M and coremark
                        # 4.36 M; the walk always, 4.12 M and 4.39 M; this, 4.12 M and 4.36 M)
                        if wl is not None and (cp is None or len(cp.unchecked) < 3):
                            self.walks[k] = wl
                            self.cmpb.pop(k, None)
        # the loops that fast_loop emits a second copy of
        copied = set(self.loops) | set(self.guards) | set(self.cmpb)
        if not fuel and self.segments:
            # without fuel, such a loop gets its charge-free copy's shape (loopfuel.py)
            self.segments = loopfuel.unversioned(self.instrs, fa, ta, self.segments,
                                                 copied, self.loop_costs)
        # counted loops with inner loops whose accesses are checked once (outerloops.py)
        self.outer = outerloops.plan(self.instrs, fa, ta, copied | set(self.loopfuel),
                                     self.static) if plan_checks else {}
        self.outer_unchecked: frozenset[int] = frozenset()  # its fast copy's accesses
        self.outering = False  # inside either copy of such a loop (one level only)
        # outer loops run twice, behind a test of their inner guards' invariant bases
        # (guardhoist.py)
        self.hoists = guardhoist.plan(self.instrs, self.guards,
                                      copied | set(self.loopfuel))
        # ... and of their inner counted loops' range tests, when invariant (rangehoist.py)
        self.ranges = rangehoist.plan(
            self.instrs, self.loops, copied | set(self.loopfuel),
            self.loopfuel, {k: max(self.costs.loop_in[k], self.costs.loop_back[k])
                            for k in self.costs.loop_in if k not in self.walks}) \
            if plan_checks else {}
        for s_, rh in self.ranges.items():
            if s_ not in self.hoists:
                self.hoists[s_] = guardhoist.Hoist(rh.end, ())
        self.ranged: frozenset[int] = frozenset()  # inner loops whose range test held
        # ... and the flag (a C name) that their fuel test held
        self.fueled: dict[int, str] = {}
        self.known: frozenset[guards.Guard] = frozenset()  # guard terms tested before
        self.hoisting = False  # inside a loop versioned on such a test
        # loops whose branches back also pay an inner loop's entry charge (prepay.py)
        self.prepay = prepay.plan(self.instrs, self.costs.loop_in, self.costs.loop_back,
                                  copied | set(self.loopfuel),
                                  copied - set(self.loopfuel)
                                  ) if fuel else {}
        # (inner loop index, outer loop label) of the prepaid entry still to emit, and the
        # inner loop whose entry charge is already emitted (before its copies)
        self.prepaid_next: tuple[int, int] | None = None
        self.entry_paid = -1
        self.copying = 0  # inside a fast_loop copy or a paid copy (neither versions again)
        self.after: dict[int, list[str]] = {}  # labels to place after an instruction
        self.calls = False
        self.globals_used: set[int] = set()
        self.tables_used: set[int] = set()

    def static_accesses(self) -> frozenset[int]:
        r = self.info.value_ranges[self.j] if self.info.value_ranges else None
        if r is None:
            return frozenset()
        out = set()
        for i, a in r.addr.items():
            ins = self.instrs[i]
            size = checks.LOAD_SIZE.get(ins.op) or checks.STORE_SIZE.get(ins.op) or 0
            if a is not None and a.hi + ins.imm[1] + size <= self.info.mem_min:
                out.add(i)
        return frozenset(out)

    # ---- stack ----
    def slot(self, depth: int, t: int) -> str:
        ct = TCHAR[t]
        self.slots.add((depth, t))
        return f"s{depth}{ct}"

    def push(self, t: int) -> str:
        self.stack.append(t)
        return self.slot(len(self.stack) - 1, t)

    def pop(self) -> str:
        t = self.stack.pop()
        return self.slot(len(self.stack), t)

    def top(self, n: int = 0) -> tuple[str, int]:
        t = self.stack[-1 - n]
        return self.slot(len(self.stack) - 1 - n, t), t

    def emit(self, line: str) -> None:
        self.out.append("    " + line)

    def trap(self, code: str) -> str:
        return f"TRAP({code});"

    # ---- control ----
    def block_type(self, bt: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if bt == BLOCK_EMPTY:
            return (), ()
        if bt < 0:
            return (), (valtype_from_blocktype(bt),)
        ft = self.info.types[bt]
        return ft.params, ft.results

    def branch_code(self, depth: int) -> list[str]:
        target = self.ctl[-1 - depth]
        if target.kind == "loop":
            types = target.params
            label = f"L{target.label}"
        else:
            types = target.results
            label = "X" if target.kind == "func" else f"B{target.label}"
            target.branched = True
        n = len(types)
        src = len(self.stack) - n
        # leaving a loop copy that counts its branches back: charge them (loopfuel.py)
        code = [loopfuel.leave(f.counts, self.costs.loop_back[f.at])
                for f in self.ctl[len(self.ctl) - depth:] if f.counts]
        # leaving a walk's copy: the round's untaken branch backs given back (walkfuel.py)
        code += [f"fl += {f.refund};" for f in self.ctl[len(self.ctl) - depth:] if f.refund]
        for i, t in enumerate(types):
            if target.base + i != src + i:
                code.append(f"{self.slot(target.base + i, t)} = {self.slot(src + i, t)};")
        if target.back:
            code.append(target.back)
            return code
        if target.counts:
            code.append(f"{target.counts}++;")
        elif target.prepay is not None:
            code += prepay.branch_back(target.prepay, target.label)
        elif target.kind == "loop" and self.fuel:
            code.append(f"CHARGE({self.costs.loop_back[target.at]});")
        code.append(f"goto {label};")
        return code

    def new_label(self) -> int:
        self.labels += 1
        return self.labels

    # ---- the function ----
    def generate(self) -> str:
        info = self.info
        ft = self.ftype
        self.ctl.append(_Ctl("func", 0, 0, (), ft.results, True))
        body_start = len(self.out)
        self.emit_range(0, len(self.instrs))
        body = self.out[body_start:]
        # the final `end` popped the func frame; its results are at depth 0..
        params = ", ".join(f"{CTYPE[t]} l{i}" for i, t in enumerate(ft.params))
        leaf = self.j in info.precharged
        regs = info.fuel_in_regs(self.j)
        sig = f"{info.attrs(self.j)}static {info.wf_type(self.j)} wf{self.j}(" + \
            info.wf_params(self.j, f", {params}" if params else "") + ")"
        lines = [sig + " {"]
        if not regs:
            lines.append("    FUEL_IN_P();" if leaf else "    FUEL_IN();")
        if self.calls and self.j not in info.leaf_callers:
            # the entry was charged by the caller (CHARGE2): an exhausted stack gives it
            # back, the interpreter checks its stack before it charges an entry
            lines.append(f"    STACK_CHECK({self.costs.entry if self.fuel else 0});")
            info.stack_checked.add(self.j)
        if self.uses_mem:
            # an inlined function's come from its caller (mem_in)
            mem = "mb_" if info.mem_in(self.j) else "c->mem"
            size = "msz_" if info.mem_in(self.j) else "MSZ_LOAD()"
            lines.append(f"    uint8_t *const mb = {mem}; wm_msz_t msz = {size}; (void)msz;")
            lines.append(f"    const u32 km = {max(self.limit_ks, default=0)}u; "
                         "wm_msz_t mlim = MLIM(); (void)km; (void)mlim;")
        for g in sorted(self.globals_used):
            lines.append(f"    uint64_t *const gp{g} = c->globals[{g}];")
        for t in sorted(self.tables_used):
            lines.append(f"    uint64_t *const te{t} = c->tables[{t}].elems; "
                         f"const u32 *const ts{t} = c->tables[{t}].size;")
        for t in sorted(set[int]().union(*self.loop_tables.values())):
            lines.append(f"    uint64_t *tl{t}e; const u32 *tl{t}s;")
        for i, t in enumerate(self.local_types[len(ft.params):], start=len(ft.params)):
            lines.append(f"    {CTYPE[t]} l{i} = 0;")
        declared = sorted({(d, TCHAR[t], CTYPE[t]) for d, t in self.slots})
        for depth, ch, ctype in declared:
            lines.append(f"    {ctype} s{depth}{ch};")
        if self.by_callers:
            lines.append(f"    {paramfacts.MARK}")
        if self.by_returns:
            lines.append(f"    {returnfacts.MARK}")
        lines += body
        lines.append("X:")
        if self.fuel:
            lines.append(f"    CHARGE({self.costs.ret});")
        if regs:
            ret = f"RF_MAKE({self.slot(0, I32)}, fl)" if ft.results else "fl"
            lines.append(f"    return {ret};")
        else:
            lines.append("    FUEL_RET_P();" if leaf else "    SYNC_OUT();")
            lines.append("    " + self.return_stmt(ft.results))
        lines.append("}")
        return "\n".join(lines)

    def emit_range(self, i: int, stop: int) -> None:
        """The instructions i .. stop - 1, versioning what the plans say."""
        while i < stop:
            hoist = self.hoists.get(i) if not self.hoisting and not self.copying else None
            if hoist is not None and self.live:
                self.hoisted(i, hoist)
                i = hoist.end + 1
                continue
            outer = self.outer.get(i) if not self.outering and not self.copying else None
            if outer is not None and self.live:
                self.outer_versioned(i, outer)
                i = outer.end + 1
                continue
            if self.prepaid_next is not None and self.prepaid_next[0] == i and self.live:
                # the inner loop's entry charge, before its copies; the paid copy of the
                # code before it (prepay.py) joins here
                self.loop_entry(i)
                self.out.append(f"P{self.prepaid_next[1]}:;")
                self.entry_paid, self.prepaid_next = i, None
            if (i in self.loops or i in self.guards or i in self.loopfuel or i in self.cmpb) \
                    and self.live:
                self.fast_loop(i, self.loops.get(i), self.guards.get(i), self.loopfuel.get(i),
                               self.cmpb.get(i))
            wl = self.walks.get(i)
            if wl is not None and self.live:
                self.walk_loop(i, wl)
                i = wl.end + 1
                continue
            seg = self.segments.get(i)
            if seg is None or not self.live:
                self.index = i
                self.instr(self.instrs[i])
                self.out.extend(self.after.pop(i, []))
                if i == self.entry_paid:
                    self.entry_paid = -1
                i += 1
                continue
            i = self.versioned(i, seg)

    def hoisted(self, start: int, hoist: guardhoist.Hoist) -> None:
        """The loop at `start` twice: behind the test of its inner guards' invariant terms,
        with those terms left out of them, and as it is (guardhoist.py). When outerloops.py
        versions the same loop, its test joins this one (two copies, not four)."""
        rh = self.ranges.get(start)
        cond = " && ".join([guards.term_c(g, self.info.mem_min) for g in hoist.terms]
                           + ([t for _, t in rh.tests] if rh else []))
        op = self.outer.get(start) if not self.outering and not self.copying else None
        if op is not None:
            cond = f"{cond} && {loops.precheck(op.plan)}"
        head = (f"if (WM_LIKELY({cond})) {{ {guardhoist.MARK}"
                + (f" {outerloops.MARK}" if op else "")
                + (f" {rangehoist.MARK}" if rh else "")
                + (f" {rangehoist.FUEL_MARK}" if rh and rh.fuel else ""))

        def fast() -> None:
            self.hoisting, self.known = True, frozenset(hoist.terms)
            self.ranged = frozenset(i for i, _ in rh.tests) if rh else frozenset()
            # the fuel tests as flags, not in the condition: a slice too small for the
            # whole outer loop keeps the range tests made once (crc32 kernel: 0.23 M ->
            # 0.24 M when they were in it)
            self.fueled = {i: f"fu{self.new_label()}_" for i, _ in rh.fuel} if rh else {}
            for i, t in rh.fuel if rh else ():
                self.emit(f"const int {self.fueled[i]} = {t};")
            if op is not None:
                self.outering, self.outer_unchecked = True, op.unchecked

        def ordinary() -> None:
            self.known, self.outer_unchecked = frozenset(), frozenset()
            self.ranged, self.fueled = frozenset(), {}

        self.two_copies(start, hoist.end, head, fast, ordinary)
        self.hoisting = False
        if op is not None:
            self.outering = False

    def two_copies(self, start: int, end: int, head: str, fast: Callable[[], None],
                   ordinary: Callable[[], None]) -> None:
        """The loop from `start` through its `end` twice, both going on at one label: after
        `head` (an `if (...) {` line) as `fast()` sets up the translation, then, after
        `ordinary()` has undone that, as it is (guardhoist.py, outerloops.py)."""
        out = self.new_label()
        stack = list(self.stack)
        self.emit(head)
        fast()
        self.emit_range(start, end + 1)
        ordinary()
        after, live = list(self.stack), self.live
        self.emit(f"goto B{out};")
        self.emit("}")
        self.stack, self.live = stack, True
        cold, self.cold = self.cold, (start, end)
        self.emit_range(start, end + 1)
        self.cold = cold
        assert self.stack == after, "both copies leave the same stack"
        self.live = self.live or live
        self.out.append(f"B{out}:;")

    def walk_loop(self, start: int, wl: walkfuel.WalkLoop) -> None:
        """The loop at `start` (through its `end`) as B, the ordinary body entered from
        above, and copies A1 .. A(u-1) that a branch back from B enters when the slice holds
        a round's charges (walkfuel.py)."""
        stack = list(self.stack)
        labs = [self.new_label() for _ in range(wl.unroll)]   # B, A1, .., A(u-1)
        out = self.new_label()
        self.loop_entry(start)
        fell = False
        for j, lab in enumerate(labs):
            self.stack = list(stack)
            self.live = True
            nxt = labs[(j + 1) % wl.unroll]
            back = walkfuel.charge_ahead(wl, nxt, lab) if j == 0 else f"goto L{nxt};"
            self.ctl.append(_Ctl("loop", lab, len(stack), (), (), True, at=start, back=back,
                                 refund=walkfuel.refund(wl, j) if j else 0))
            for line in walkfuel.copy_open(wl, j) if j else []:
                self.emit(line)
            self.out.append(f"L{lab}:;")
            self.emit_range(start + 1, wl.end)
            self.ctl.pop()
            if self.live:
                fell = True
                if j:
                    self.emit(f"fl += {walkfuel.refund(wl, j)};")
                self.emit(f"goto B{out};")
            for line in walkfuel.copy_close() if j else []:
                self.emit(line)
        self.out.append(f"B{out}:;")
        self.stack = stack
        self.live = fell
        self.index = wl.end

    def outer_versioned(self, start: int, op: outerloops.OuterPlan) -> None:
        """The loop at `start` twice: behind loops.py's test of its top-level accesses,
        with them unchecked, and as it is (outerloops.py)."""
        def fast() -> None:
            self.outering, self.outer_unchecked = True, op.unchecked

        def ordinary() -> None:
            self.outer_unchecked = frozenset()

        self.two_copies(start, op.end,
                        f"if (WM_LIKELY({loops.precheck(op.plan)})) {{ {outerloops.MARK}",
                        fast, ordinary)
        self.outering = False

    def fast_loop(self, start: int, plan: loops.LoopPlan | None,
                  guard: guards.GuardPlan | None, paid: loopfuel.FuelLoop | None,
                  cmp: cmpbound.CmpPlan | None = None) -> None:
        """A copy of the loop at `start` whose hoistable accesses (a counted loop's,
        loops.py; those at invariant bases, guards.py) are unchecked and whose branches
        back charge nothing (its fuel paid at once, loopfuel.py), run when the tests before
        it prove them all in bounds and the slice holds the loop's fuel; then the normal
        loop is skipped (its `end` gets the exit label)."""
        out = self.new_label()
        stack = list(self.stack)
        conds = ([loops.precheck(plan)] if plan and start not in self.ranged else []) + \
            ([guards.guard_c(guard, self.info.mem_min, self.known)] if guard else []) + \
            ([cmpbound.cond_c(cmp)] if cmp else []) + \
            ([f"({self.fueled[start]} || {loopfuel.covered(paid)})" if start in self.fueled
              else loopfuel.covered(paid)] if paid else [])
        self.emit(f"if (WM_LIKELY({' && '.join(conds) or '1'})) {{"
                  + (f" {cmpbound.MARK}" if cmp else ""))
        lab = self.new_label()
        self.ctl.append(_Ctl("loop", lab, len(self.stack), (), (), True, at=start,
                             counts=loopfuel.iterations(lab) if paid else ""))
        self.loop_entry(start)
        for line in loopfuel.copy_open(paid, lab) if paid else []:
            self.emit(line)
        self.out.append(f"L{lab}:;")
        self.fast = plan.fast if plan else {}
        self.unchecked = (guard.unchecked if guard else frozenset()) | \
            (cmp.unchecked if cmp else frozenset())
        end = plan.end if plan else guard.end if guard else cmp.end if cmp else \
            paid.end if paid else start
        self.copying += 1
        for i in range(start + 1, end):  # the body and its br_if
            self.index = i
            self.instr(self.instrs[i])
        self.copying -= 1
        for line in loopfuel.copy_close(paid, lab) if paid else []:
            self.emit(line)
        self.fast = {}
        self.unchecked = frozenset()
        self.ctl.pop()
        self.stack = stack
        self.live = True
        self.emit(f"goto B{out};")
        self.emit("}")
        self.after.setdefault(end, []).append(f"B{out}:;")
        self.cold = (start, end)

    def versioned(self, start: int, seg: checks.Segment) -> int:
        """The segment twice: grouped accesses unchecked behind one combined check, and as
        it is (checks.py). Returns where the instructions go on."""
        cond = " && ".join(f"GRP_OK(l{g.local}, {g.c_min}, {g.end})" for g in seg.groups)
        end = seg.end + 1 if self.back_edge_at(start, seg.end) else seg.end
        stack = list(self.stack)
        self.emit(f"if (WM_LIKELY({cond})) {{")
        self.fast = seg.fast
        for i in range(start, end):
            self.index = i
            self.instr(self.instrs[i])
        self.fast = {}
        after = list(self.stack)
        self.stack = stack
        self.emit("} else {")
        cold, self.cold = self.cold, (start, end - 1)
        for i in range(start, end):
            self.index = i
            self.instr(self.instrs[i])
        self.cold = cold
        self.emit("}")
        assert self.stack == after and self.live, "a segment has no control flow"
        return end

    def back_edge_at(self, start: int, i: int) -> bool:
        """Whether the instruction after the segment start .. i - 1 is a loop's `br_if`
        back on a compare's 0/1 value that each copy of the segment can take itself: with
        one test after the copies, both compute the 0/1 value and GCC tests their join (it
        does not thread a join into a loop's latch), where one copy's own compare and
        branch is what the loop needs. Not on other values (a counter stepped to 0: GCC
        branches on the join's flags; taking it in each copy made nettle-aes 3.90 M ->
        3.94 M without fuel), and without fuel only: with fuel the branch back charges,
        the charge's block is the latch and GCC threads the join itself (taking the branch
        in each copy there made nettle-aes 3.97 M -> 4.08 M, ud 4.44 M -> 4.49 M)."""
        if self.fuel or i >= len(self.instrs) or i in self.after or i == self.entry_paid or \
                i in self.segments or i in self.skip:
            return False
        ins = self.instrs[i]
        if ins.op != 0x0D or self.ctl[-1 - ins.imm[0]].kind != "loop":  # br_if back
            return False
        j = i - 1
        if j >= start and self.instrs[j].op == 0x22:  # local.tee: its operand
            j -= 1
        elif j >= start and self.instrs[j].op == 0x20:  # local.get: its last set here
            x = self.instrs[j].imm[0]
            j = next((k - 1 for k in range(j - 1, start - 1, -1)
                      if self.instrs[k].op in (0x21, 0x22) and self.instrs[k].imm[0] == x), -1)
        return j >= start and self.instrs[j].op in _TESTS


    def return_stmt(self, results: tuple[int, ...]) -> str:
        if not results:
            return "return;"
        if len(results) == 1:
            return f"return {self.slot(0, results[0])};"
        rt = self.info.result_type(results)
        sets = " ".join(f"r_.v{i} = {self.slot(i, t)};" for i, t in enumerate(results))
        return f"{{ {rt} r_; {sets} return r_; }}"

    def mem_reload(self, callee: int | None = None) -> None:
        """msz again after something that may have grown the memory (`callee`: a call to
        that function index, which may not: _may_grow)."""
        if callee is not None and callee >= self.info.nimports and \
                not self.info.may_grow[callee - self.info.nimports]:
            return
        if self.uses_mem and not self.info.mem_static:
            self.emit("msz = MSZ_LOAD(); mlim = MLIM();")

    # ---- instructions ----
    def instr(self, ins: Instr) -> None:
        if self.index in self.skip:
            if self.index == self.skip[-1]:
                self.skip = range(0)
            return
        op = ins.op
        if not self.live:
            self.dead_instr(ins)
            return
        handler = _HANDLERS.get(op)
        if handler is not None:
            handler(self, ins)
            return
        simple = _SIMPLE.get(op)
        if simple is not None:
            narrowed = self.narrow.get(self.index)
            self.simple(*simple[:2], narrowed or simple[2])
            return
        raise TranslateError(f"AOT: instruction 0x{op:x} at offset 0x{ins.offset:x} is not "
                             "supported")

    def dead_instr(self, ins: Instr) -> None:
        """Unreachable code: only the block structure matters."""
        op = ins.op
        if op in (_OP_BLOCK, _OP_LOOP, _OP_IF):
            params, results = self.block_type(ins.imm[0])
            kind = OPS[op].name
            self.ctl.append(_Ctl(kind, self.new_label(), len(self.stack), params, results,
                                 False))
        elif op == OP_ELSE:
            self.op_else(ins)
        elif op == OP_END:
            self.op_end(ins)

    def simple(self, pops: tuple[int, ...], push: int | None, template: str) -> None:
        args = [self.pop() for _ in pops][::-1]
        expr = template.format(*args)
        if push is None:
            self.emit(expr + ";")
        else:
            self.emit(f"{self.push(push)} = {expr};")

    def loop_entry(self, at: int) -> None:
        """A loop entered from above is a check point (branches back to it charge too)."""
        if self.fuel and at != self.entry_paid:
            self.emit(f"CHARGE({self.costs.loop_in[at]});")
        # every way into the loop's body passes here (a prepaid entry too, after its P
        # label): where the function's entry loaded them, a register held them throughout
        for t in sorted(self.loop_tables.get(at, ())):
            self.emit(f"tl{t}e = c->tables[{t}].elems; tl{t}s = c->tables[{t}].size;")

    def op_block(self, ins: Instr, kind: str) -> None:
        params, results = self.block_type(ins.imm[0])
        lab = self.new_label()
        self.ctl.append(_Ctl(kind, lab, len(self.stack) - len(params), params, results, True,
                             at=self.index))
        if kind == "loop":
            self.loop_entry(self.index)
            pp = self.prepay.get(self.index) if not self.copying else None
            if pp is not None:
                self.paid_copy(pp, lab)
            self.out.append(f"L{lab}:;")

    def paid_copy(self, pp: prepay.Prepay, lab: int) -> None:
        """The code from the loop's header to the inner loop's entry once more, entered by
        the branches back that paid that entry too (prepay.py) and joining past its charge."""
        self.ctl[-1].prepay = pp
        self.emit(f"goto L{lab};")
        self.out.append(f"L{lab}p:;")
        self.out.extend(prepay.fl_open(pp))
        stack, ctl, at = list(self.stack), list(self.ctl), self.index
        self.copying += 1
        for k in range(at + 1, pp.inner):
            self.index = k
            self.instr(self.instrs[k])
        self.copying -= 1
        assert self.live, "the code before a prepaid entry does not branch"
        self.stack, self.ctl, self.index = stack, ctl, at
        self.out.extend(prepay.fl_close())
        self.emit(f"goto P{lab};")
        self.prepaid_next = (pp.inner, lab)

    def op_if(self, ins: Instr) -> None:
        cond = self.pop()
        params, results = self.block_type(ins.imm[0])
        lab = self.new_label()
        self.ctl.append(_Ctl("if", lab, len(self.stack) - len(params), params, results, True))
        self.emit(f"if (!{cond}) goto E{lab};")

    def op_else(self, ins: Instr) -> None:
        frame = self.ctl[-1]
        if self.live:
            frame.branched = True
            self.emit(f"goto B{frame.label};")
        self.out.append(f"E{frame.label}:;")
        frame.has_else = True
        del self.stack[frame.base:]
        self.stack.extend(frame.params)
        self.live = frame.live

    def op_end(self, ins: Instr) -> None:
        frame = self.ctl.pop()
        fell = self.live
        if frame.kind == "if" and not frame.has_else:
            self.out.append(f"E{frame.label}:;")
            fell = fell or frame.live
        if frame.kind != "loop" and frame.branched:
            self.out.append(f"B{frame.label}:;" if frame.kind != "func" else "")
        del self.stack[frame.base:]
        self.stack.extend(frame.results)
        if frame.kind == "func":
            for i, t in enumerate(frame.results):
                self.slot(i, t)
            self.live = False
            return
        self.live = frame.live and (fell or frame.branched)

    def op_br(self, ins: Instr) -> None:
        for line in self.branch_code(ins.imm[0]):
            self.emit(line)
        self.live = False

    def op_br_if(self, ins: Instr) -> None:
        cond = self.pop()
        target = self.ctl[-1 - ins.imm[0]]
        code = " ".join(self.branch_code(ins.imm[0]))
        # a loop known to run only a few times: how likely its branch back is (loopcost.py)
        hint = self.loop_costs.back_hint(target.at) if target.kind == "loop" else None
        if hint is not None:
            cond = f"WM_BACK({cond}, {hint})"
        self.emit(f"if ({cond}) {{ {code} }}")

    def op_br_table(self, ins: Instr) -> None:
        idx = self.pop()
        *labels, default = ins.imm
        if all(lab == default for lab in labels):
            for line in self.branch_code(default):
                self.emit(line)
            self.live = False
            return
        groups: dict[int, list[int]] = {}
        for i, lab in enumerate(labels):
            if lab != default:
                groups.setdefault(lab, []).append(i)
        self.emit(f"switch ({idx}) {{")
        for lab, cases in groups.items():
            heads = " ".join(f"case {i}:" for i in cases)
            self.emit(f"{heads} {{ {' '.join(self.branch_code(lab))} }}")
        self.emit(f"default: {{ {' '.join(self.branch_code(default))} }}")
        self.emit("}")
        self.live = False

    def op_return(self, ins: Instr) -> None:
        for line in self.branch_code(len(self.ctl) - 1):
            self.emit(line)
        self.live = False

    def op_unreachable(self, ins: Instr) -> None:
        self.emit(self.trap(TRAP_UNREACHABLE))
        self.live = False

    def op_nop(self, ins: Instr) -> None:
        pass

    def op_drop(self, ins: Instr) -> None:
        self.pop()

    def op_select(self, ins: Instr) -> None:
        cond = self.pop()
        b = self.pop()
        a, t = self.top()
        if t == I32 and self.select_load(cond, a, b):
            return
        self.emit(f"if (!{cond}) {a} = {b};")

    def select_load(self, cond: str, a: str, b: str) -> bool:
        """The select at self.index and the unchecked load it is the address of as two
        loads (selectload.py); False when they do not qualify."""
        at = self.index
        plan = selectload.plan_select_load(
            self.instrs, at, frozenset(k for k, t in enumerate(self.local_types) if t == I32))
        if plan is None or not (plan.load in self.static or plan.load in self.unchecked):
            return False
        inside = range(at + 1, plan.load + 1)
        if any(i in self.narrow or i in self.fast or i in self.segments for i in inside) or \
                any(at < s.end <= plan.load for s in self.segments.values()):
            return False  # (a segment's two copies must each hold all of it)
        load = self.instrs[plan.load]
        size, tmpl, t = _LOADS[load.op]
        off = load.imm[1]
        if off + size > 0xFFFFFFFF:
            return False
        self.pop()
        res = self.push(t)
        arms = [tmpl.format(f"EA({selectload.address(v, plan)}, {off}u)") for v in (a, b)]
        self.emit(f"if ({cond}) {res} = {arms[0]}; else {res} = {arms[1]};")
        self.skip = inside
        return True

    def op_local_get(self, ins: Instr) -> None:
        k = ins.imm[0]
        self.emit(f"{self.push(self.local_types[k])} = {self.remat.get(k, f'l{k}')};")

    def op_local_set(self, ins: Instr) -> None:
        self.emit(f"l{ins.imm[0]} = {self.pop()};")

    def op_local_tee(self, ins: Instr) -> None:
        self.emit(f"l{ins.imm[0]} = {self.top()[0]};")

    def op_global_get(self, ins: Instr) -> None:
        g = ins.imm[0]
        t, _mut = self.info.global_types[g]
        const = self.info.global_consts.get(g)
        if const is not None:
            self.emit(f"{self.push(t)} = {const};")
            return
        self.globals_used.add(g)
        self.emit(f"{self.push(t)} = {from_slot(t, f'*gp{g}')};")

    def op_global_set(self, ins: Instr) -> None:
        g = ins.imm[0]
        t, _mut = self.info.global_types[g]
        self.globals_used.add(g)
        self.emit(f"*gp{g} = {to_slot(t, self.pop())};")

    # memory
    def op_load(self, ins: Instr) -> None:
        op = ins.op
        size, tmpl, t = _LOADS[op]
        off = ins.imm[1]
        addr = self.pop()
        res = self.push(t)
        k = off + size
        fast = self.fast.get(self.index)
        if fast is not None:  # covered by the segment's combined check
            local, c = fast
            self.emit(f"{res} = {tmpl.format(f'EAF(l{local}, {c + off})')};")
            return
        if k > 0xFFFFFFFF:
            self.emit(self.trap(TRAP_MEM))
            self.emit(f"{res} = 0;")
            return
        self.emit(f"{self.check(addr, k)}{res} = {tmpl.format(f'EA({addr}, {off}u)')};")

    def op_store(self, ins: Instr) -> None:
        size, fn, conv = _STORES[ins.op]
        off = ins.imm[1]
        val = self.pop()
        addr = self.pop()
        k = off + size
        fast = self.fast.get(self.index)
        if fast is not None:  # covered by the segment's combined check
            local, c = fast
            self.emit(f"{fn}(EAF(l{local}, {c + off}), {conv.format(val)});")
            return
        if k > 0xFFFFFFFF:
            self.emit(self.trap(TRAP_MEM))
            return
        self.emit(f"{self.check(addr, k)}{fn}(EA({addr}, {off}u), {conv.format(val)});")

    def check(self, addr: str, k: int) -> str:
        """The bounds check of the access at `self.index` (k = offset + size): none when
        its whole address range lies within the memory the code may assume (ranges.py) or
        an earlier access proved it (dominated.py), one comparison when k lies within that
        memory, the full check otherwise."""
        if self.index in self.static or self.index in self.unchecked or \
                self.index in self.outer_unchecked:
            return ""
        if self.one_limit and k <= min(self.info.mem_min, _LIMIT_K_MAX):
            self.limit_ks.append(k)
            return f"CHKL({addr}, {k}u); "
        if k == 1 and not self.cold[0] <= self.index <= self.cold[1]:
            return f"CHKB({addr}); "
        if k <= self.info.mem_min:
            return f"CHKM({addr}, {k}u); "
        return f"CHK({addr}, {k}u); "

    def op_memory_size(self, ins: Instr) -> None:
        self.emit(f"{self.push(I32)} = *c->mem_pages;")

    # Bulk work is charged by size before it is done, in the pieces the fuel pays for (in
    # the prelude's wm_fill / wm_copy, and the runtime's services for the others).
    def op_memory_grow(self, ins: Instr) -> None:
        delta = self.pop()
        res = self.push(I32)
        self.emit(f"SYNC_OUT(); {res} = c->rt->mem_grow(c, {delta}); SYNC_IN();")
        self.mem_reload()

    def op_memory_fill(self, ins: Instr) -> None:
        n, v, d = self.pop(), self.pop(), self.pop()
        self.emit(f"if (WM_UNLIKELY((u64){d} + {n} > (u64)msz)) {self.trap(TRAP_MEM)}")
        self.emit(f"FUEL_OF(wm_fill(c, FUEL_ARG, mb + {d}, {v}, {n}));")

    def op_memory_copy(self, ins: Instr) -> None:
        n, s, d = self.pop(), self.pop(), self.pop()
        self.emit(f"if (WM_UNLIKELY((u64){s} + {n} > (u64)msz || (u64){d} + {n} > (u64)msz)) "
                  f"{self.trap(TRAP_MEM)}")
        self.emit(f"FUEL_OF(wm_copy(c, FUEL_ARG, mb, {d}, {s}, {n}));")

    def op_memory_init(self, ins: Instr) -> None:
        n, s, d = self.pop(), self.pop(), self.pop()
        self.emit(f"SYNC_OUT(); c->rt->mem_init(c, {ins.imm[0]}u, {d}, {s}, {n}); SYNC_IN();")

    def op_data_drop(self, ins: Instr) -> None:
        self.emit(f"c->rt->data_drop(c, {ins.imm[0]}u);")

    # tables and references
    def op_table_get(self, ins: Instr) -> None:
        t = ins.imm[0]
        self.tables_used.add(t)
        i = self.pop()
        res = self.push(FUNCREF)
        self.emit(f"if (WM_UNLIKELY({i} >= *ts{t})) {self.trap(TRAP_TABLE)} "
                  f"{res} = (ref)te{t}[{i}];")

    def op_table_set(self, ins: Instr) -> None:
        t = ins.imm[0]
        self.tables_used.add(t)
        v = self.pop()
        i = self.pop()
        self.emit(f"if (WM_UNLIKELY({i} >= *ts{t})) {self.trap(TRAP_TABLE)} "
                  f"te{t}[{i}] = (u64){v};")

    def op_table_size(self, ins: Instr) -> None:
        t = ins.imm[0]
        self.tables_used.add(t)
        self.emit(f"{self.push(I32)} = *ts{t};")

    def op_table_grow(self, ins: Instr) -> None:
        n = self.pop()
        init = self.pop()
        self.emit(f"SYNC_OUT(); {self.push(I32)} = c->rt->table_grow(c, {ins.imm[0]}u, "
                  f"{init}, {n}); SYNC_IN();")

    def op_table_fill(self, ins: Instr) -> None:
        n, v, i = self.pop(), self.pop(), self.pop()
        self.emit(f"SYNC_OUT(); c->rt->table_fill(c, {ins.imm[0]}u, {i}, {v}, {n}); SYNC_IN();")

    def op_table_copy(self, ins: Instr) -> None:
        n, s, d = self.pop(), self.pop(), self.pop()
        dt, st = ins.imm
        self.emit(f"SYNC_OUT(); c->rt->table_copy(c, {dt}u, {st}u, {d}, {s}, {n}); SYNC_IN();")

    def op_table_init(self, ins: Instr) -> None:
        """It walks its segment from the start: charged after, as a check point."""
        n, s, d = self.pop(), self.pop(), self.pop()
        seg, t = ins.imm
        self.emit(f"SYNC_OUT(); c->rt->table_init(c, {t}u, {seg}u, {d}, {s}, {n}); SYNC_IN(); "
                  f"CHARGE(((u64){s} + {n}) / WM_FUEL_ELEMS);")

    def op_elem_drop(self, ins: Instr) -> None:
        self.emit(f"c->rt->elem_drop(c, {ins.imm[0]}u);")

    def op_ref_null(self, ins: Instr) -> None:
        self.emit(f"{self.push(ins.imm[0])} = 0;")

    def op_ref_is_null(self, ins: Instr) -> None:
        a = self.pop()
        self.emit(f"{self.push(I32)} = (u32)({a} == 0);")

    def op_ref_func(self, ins: Instr) -> None:
        self.emit(f"{self.push(FUNCREF)} = (ref)c->funcs[{ins.imm[0]}];")

    # constants
    def op_i32_const(self, ins: Instr) -> None:
        self.emit(f"{self.push(I32)} = {_hex32(ins.imm[0])};")

    def op_i64_const(self, ins: Instr) -> None:
        self.emit(f"{self.push(I64)} = {_hex64(ins.imm[0])};")

    def op_f32_const(self, ins: Instr) -> None:
        self.emit(f"{self.push(F32)} = wm_uf32({_hex32(ins.imm[0])});")

    def op_f64_const(self, ins: Instr) -> None:
        self.emit(f"{self.push(F64)} = wm_uf64({_hex64(ins.imm[0])});")

    # integer division (traps)
    def op_div(self, ins: Instr) -> None:
        bits, signed, rem = _DIVS[ins.op]
        t = I32 if bits == 32 else I64
        u = "u32" if bits == 32 else "u64"
        s = "s32" if bits == 32 else "s64"
        b = self.pop()
        a = self.pop()
        r = self.push(t)
        zero = f"if (WM_UNLIKELY({b} == 0)) {self.trap(TRAP_DIV)}"
        if not signed:
            self.emit(f"{zero} {r} = {a} {'%' if rem else '/'} {b};")
        # Signed: b in {0, -1} is the one unsigned test (u)(b + 1) <= 1 (a compare and a
        # branch fewer than testing b == 0 and a == MIN apart); both cases are decided
        # behind it, the division by 0 first, as the interpreter does.
        elif rem:
            self.emit(f"if (WM_UNLIKELY(({u})({b} + 1u) <= 1u)) {{ {zero} {r} = 0; }} "
                      f"else {{ {r} = ({u})(({s}){a} % ({s}){b}); }}")
        else:
            minv = _hex32(1 << 31) if bits == 32 else _hex64(1 << 63)
            self.emit(f"if (WM_UNLIKELY(({u})({b} + 1u) <= 1u)) {{ {zero} "
                      f"if ({a} == {minv}) {self.trap(TRAP_OVF)} }} "
                      f"{r} = ({u})(({s}){a} / ({s}){b});")

    def op_trunc(self, ins: Instr) -> None:
        name, t = _TRUNCS[ins.op]
        a = self.pop()
        self.emit(f"{self.push(t)} = ({CTYPE[t]}){name}(c, FL, {a});")

    # calls
    def call_args(self, ft: FuncType) -> list[str]:
        n = len(ft.params)
        args = [self.slot(len(self.stack) - n + i, t) for i, t in enumerate(ft.params)]
        del self.stack[len(self.stack) - n:]
        return args

    def assign_results(self, ft: FuncType, expr: str) -> None:
        if not ft.results:
            self.emit(f"{expr};")
        elif len(ft.results) == 1:
            self.emit(f"{self.push(ft.results[0])} = {expr};")
        else:
            rt = self.info.result_type(ft.results)
            outs = [self.push(t) for t in ft.results]
            sets = " ".join(f"{o} = r_.v{i};" for i, o in enumerate(outs))
            self.emit(f"{{ {rt} r_ = {expr}; {sets} }}")

    def call_via_io(self, ft: FuncType, call: str, args: list[str]) -> None:
        n = max(len(ft.params), len(ft.results), 1)
        packs = " ".join(f"io_[{i}] = {to_slot(t, a)};"
                         for i, (t, a) in enumerate(zip(ft.params, args, strict=True)))
        outs = [self.push(t) for t in ft.results]
        unpacks = " ".join(f"{o} = {from_slot(t, f'io_[{i}]')};"
                           for i, (o, t) in enumerate(zip(outs, ft.results, strict=True)))
        self.emit(f"{{ u64 io_[{n}]; {packs} SYNC_OUT(); {call}; SYNC_IN(); {unpacks} }}")

    def call_check_point(self, callee: int | None = None) -> None:
        """A call charges the code since the last check point, before anything else; a
        defined callee has its entry charged here too (`callee`: defined index)."""
        if not self.fuel:
            return
        k = self.costs.call[self.index]
        entry = self.info.fuel_plans[callee].entry if callee is not None else None
        self.emit(f"CHARGE({k});" if entry is None else f"CHARGE2({k}, {entry});")

    def call_defined(self, j: int, ft: FuncType, fn: str, args: list[str]) -> None:
        """The call itself of defined function j (`fn`: wf<j> or its copy), the slice in
        `fl` before and after it."""
        if self.info.mem_in(j):
            args = [*args, "mb, msz" if self.uses_mem else "c->mem, MSZ_LOAD()"]
        before, expr, after = self.info.call_parts(j, fn, "".join(f", {a}" for a in args))
        self.emit("{ " + before)
        if expr:
            self.assign_results(ft, expr)
        self.emit(after + " }")

    def call_flat(self, j: int, ft: FuncType, args: list[str]) -> None:
        """A call of a flat leaf: the call's check point, the leaf's entry and its return in
        one subtraction and branch; covered, the copy that does not check its return runs,
        else the two are charged in order (CHARGE3's cold path) and the leaf checks its own."""
        k = self.costs.call[self.index]
        e, r = self.info.precharged[j], self.info.flat[j]
        stack = list(self.stack)
        self.emit(f"if (CHARGE3({k}, {e}, {r})) {{")
        self.call_defined(j, ft, f"wf{j}_q", args)
        after, self.stack = self.stack, stack
        self.emit(f"}} else {{ CHARGE3_SHORT({e}, {r});")
        self.call_defined(j, ft, f"wf{j}", args)
        assert self.stack == after
        self.emit("}")

    def op_call(self, ins: Instr) -> None:
        idx = ins.imm[0]
        ft = self.info.func_types[idx]
        args = self.call_args(ft)
        self.calls = True
        if idx < self.info.nimports:
            self.call_check_point()
            self.call_via_io(ft, f"c->rt->call(c, {idx}u, io_)", args)
        else:
            j = idx - self.info.nimports
            if j in self.info.flat:
                self.call_flat(j, ft, args)
            else:
                self.call_check_point(j)
                self.call_defined(j, ft, f"wf{j}", args)
        self.mem_reload(idx)

    def op_call_indirect(self, ins: Instr) -> None:
        type_idx, t = ins.imm
        ft = self.info.types[type_idx]
        i = self.pop()
        args = self.call_args(ft)
        self.calls = True
        self.call_check_point()
        disp = self.info.dispatcher(ft, type_idx)
        ts, te = (f"tl{t}s", f"tl{t}e") if self.index in self.ci_loop else \
            (f"c->tables[{t}].size", f"c->tables[{t}].elems")
        self.emit(f"if (WM_UNLIKELY({i} >= *{ts})) {self.trap(TRAP_UNDEF)}")
        self.emit(f"{{ ref f_ = (ref){te}[{i}]; if (WM_UNLIKELY(f_ == 0)) "
                  f"{self.trap(TRAP_UNINIT)} SYNC_OUT();")
        call = f"{disp}(c, (f_ - c->own_base) >> c->own_shift, f_" + \
            "".join(f", {a}" for a in args) + ")"
        self.assign_results(ft, call)
        self.emit("SYNC_IN(); }")
        self.mem_reload()


_Handler = Callable[["_FuncGen", Instr], None]


def _handler(name: str, *extra: str) -> _Handler:
    def h(g: _FuncGen, ins: Instr) -> None:
        getattr(g, name)(ins, *extra)
    return h


def _op(name: str) -> int:
    """The opcode of an instruction named as in the table (wasm/opcodes.py)."""
    return NAME_TO_OP[name]


def _pushed(op: int) -> int:
    """The one type an instruction of the table pushes."""
    (t,) = OPS[op].pushes or ()
    return t


def _indirect_loops(instrs: list[Instr]) -> tuple[dict[int, int], dict[int, set[int]]]:
    """Each call_indirect inside a loop -> the innermost loop's index, and each such loop ->
    the tables its own call_indirects read. Loaded at the function's entry, a table's two
    pointers took a register (or a spill) through every loop, for calls that may lie on a
    cold path (sglib's iterator: a comparator's loop its benchmark never enters)."""
    ci_loop: dict[int, int] = {}
    tables: dict[int, set[int]] = {}
    open_: list[int] = []    # the enclosing blocks' opening indices, -1 for a non-loop
    for k, ins in enumerate(instrs):
        if ins.op in (_OP_BLOCK, _OP_IF):
            open_.append(-1)
        elif ins.op == _OP_LOOP:
            open_.append(k)
        elif ins.op == _OP_END and open_:
            open_.pop()
        elif ins.op == _OP_CALL_INDIRECT:
            loop = next((b for b in reversed(open_) if b >= 0), -1)
            if loop >= 0:
                ci_loop[k] = loop
                tables.setdefault(loop, set()).add(ins.imm[1])
    return ci_loop, tables


def _bytes(op: int) -> int:
    """The access size of a load or store: its natural alignment (wasm/opcodes.py)."""
    align = OPS[op].align
    assert align is not None, op_name(op)
    return 1 << align


_OP_BLOCK, _OP_LOOP, _OP_IF, _OP_END = _op("block"), _op("loop"), _op("if"), _op("end")
_OP_MEMORY_GROW = _op("memory.grow")
_OP_CALL, _OP_CALL_INDIRECT = _op("call"), _op("call_indirect")
# what a flat leaf has none of: check points other than entry and return, fuel spent in
# pieces (bulk work, grows)
_NOT_FLAT = stackcheck.CALL_OPS | {_op(name) for name in (
    "loop", "memory.grow", "memory.init", "memory.copy", "memory.fill", "table.init",
    "table.copy", "table.grow", "table.fill")}
# the longest flat leaf (wasm instructions) that gets a copy: the copy saves a compare and
# branch per call, and a longer leaf's copy cost more flash than that is worth (statemate's
# AOT code +41 % with no limit, coremark's +11 %)
_FLAT_MAX = 64
# Accesses with k = offset + size up to this share one bounds-check limit per function
# (CHKL: msz - the largest such k): a larger k would send ordinary accesses near the end of
# the memory to the second compare.
_LIMIT_K_MAX = 64
# The C compiler is told the memory every entry guarantees (WM_MEM_NEED: MSZ_LOAD assumes
# msz >= it) only above this: a few words bound no array GCC could index, and all GCC did
# with them was prove msz - k does not wrap and rewrite quicksort's scans' checks into exit
# counts computed at each entry of the loop (+7 % instructions on the M4).
_MEM_NEED_MIN = 64
_OP_BR_TABLE = _op("br_table")


def _flat_size(instrs: list[Instr]) -> int:
    """A leaf's length against _FLAT_MAX: its instructions, a br_table's every target one
    more (each is code: one br_table of 10 000 targets is a 30 KB function on the M4, and
    its copy made the spec's br_table module's code too large for the MPU to cover)."""
    return sum(1 + (len(i.imm) if i.op == _OP_BR_TABLE else 0) for i in instrs)

_HANDLERS: dict[int, _Handler] = {
    _op(name): _handler(*how) for name, how in {
        "unreachable": ("op_unreachable",), "nop": ("op_nop",),
        "block": ("op_block", "block"), "loop": ("op_block", "loop"), "if": ("op_if",),
        "else": ("op_else",), "end": ("op_end",), "br": ("op_br",), "br_if": ("op_br_if",),
        "br_table": ("op_br_table",), "return": ("op_return",), "call": ("op_call",),
        "call_indirect": ("op_call_indirect",), "drop": ("op_drop",),
        "select": ("op_select",), "local.get": ("op_local_get",),
        "local.set": ("op_local_set",), "local.tee": ("op_local_tee",),
        "global.get": ("op_global_get",), "global.set": ("op_global_set",),
        "table.get": ("op_table_get",), "table.set": ("op_table_set",),
        "memory.size": ("op_memory_size",), "memory.grow": ("op_memory_grow",),
        "i32.const": ("op_i32_const",), "i64.const": ("op_i64_const",),
        "f32.const": ("op_f32_const",), "f64.const": ("op_f64_const",),
        "ref.null": ("op_ref_null",), "ref.is_null": ("op_ref_is_null",),
        "ref.func": ("op_ref_func",), "memory.init": ("op_memory_init",),
        "data.drop": ("op_data_drop",), "memory.copy": ("op_memory_copy",),
        "memory.fill": ("op_memory_fill",), "table.init": ("op_table_init",),
        "elem.drop": ("op_elem_drop",), "table.copy": ("op_table_copy",),
        "table.grow": ("op_table_grow",), "table.size": ("op_table_size",),
        "table.fill": ("op_table_fill",),
    }.items()
}
_HANDLERS[OP_SELECT_T] = _handler("op_select")

# loads: op -> (bytes, C expression template over the address, result type)
_LOADS: dict[int, tuple[int, str, int]] = {
    _op(name): (_bytes(_op(name)), tmpl, _pushed(_op(name))) for name, tmpl in {
        "i32.load": "wm_ld32({})", "i64.load": "wm_ld64({})",
        "f32.load": "wm_ldf32({})", "f64.load": "wm_ldf64({})",
        "i32.load8_s": "(u32)(s32)(int8_t)wm_ld8({})", "i32.load8_u": "wm_ld8({})",
        "i32.load16_s": "(u32)(s32)(int16_t)wm_ld16({})", "i32.load16_u": "wm_ld16({})",
        "i64.load8_s": "(u64)(s64)(int8_t)wm_ld8({})", "i64.load8_u": "(u64)wm_ld8({})",
        "i64.load16_s": "(u64)(s64)(int16_t)wm_ld16({})", "i64.load16_u": "(u64)wm_ld16({})",
        "i64.load32_s": "(u64)(s64)(s32)wm_ld32({})", "i64.load32_u": "(u64)wm_ld32({})",
    }.items()
}
# stores: op -> (bytes, store function, value conversion)
_STORES: dict[int, tuple[int, str, str]] = {
    _op(name): (_bytes(_op(name)), fn, conv) for name, (fn, conv) in {
        "i32.store": ("wm_st32", "{}"), "i64.store": ("wm_st64", "{}"),
        "f32.store": ("wm_stf32", "{}"), "f64.store": ("wm_stf64", "{}"),
        "i32.store8": ("wm_st8", "{}"), "i32.store16": ("wm_st16", "{}"),
        "i64.store8": ("wm_st8", "(u32){}"), "i64.store16": ("wm_st16", "(u32){}"),
        "i64.store32": ("wm_st32", "(u32){}"),
    }.items()
}
for _o in _LOADS:
    _HANDLERS[_o] = _handler("op_load")
for _o in _STORES:
    _HANDLERS[_o] = _handler("op_store")

# instructions that need the memory base and size in locals
_MEM_OPS = frozenset(_LOADS) | frozenset(_STORES) | {_op("memory.copy"), _op("memory.fill")}

# division: op -> (bits, signed, remainder)
_DIVS = {_op(f"i{bits}.{kind}"): (bits, kind.endswith("_s"), kind.startswith("rem"))
         for bits in (32, 64) for kind in ("div_s", "div_u", "rem_s", "rem_u")}
for _o in _DIVS:
    _HANDLERS[_o] = _handler("op_div")

# trapping float-to-int: op -> (C function, result type)
_TRUNCS = {_op(f"{d}.trunc_{s}_{sign}"): (f"wm_trunc_{sign}{d[1:]}_{s}", _pushed(
    _op(f"{d}.trunc_{s}_{sign}"))) for d in ("i32", "i64") for s in ("f32", "f64")
    for sign in ("s", "u")}
for _o in _TRUNCS:
    _HANDLERS[_o] = _handler("op_trunc")

# Everything else is "pop these, push that" with the types of the table (wasm/opcodes.py):
# op -> (popped types, pushed type, template).
_SIMPLE: dict[int, tuple[tuple[int, ...], int | None, str]] = {}


def _s(name: str, tmpl: str) -> None:
    op = _op(name)
    pops, pushes = OPS[op].pops, OPS[op].pushes
    assert pops is not None and pushes is not None and len(pushes) <= 1, name
    _SIMPLE[op] = (pops, pushes[0] if pushes else None, tmpl)


_s("i32.eqz", "(u32)({0} == 0)")
_s("i64.eqz", "(u32)({0} == 0)")
for _bits in ("32", "64"):
    for _cmp, _e in zip(
            ("eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"), (
            "{0} == {1}", "{0} != {1}", "(sB){0} < (sB){1}", "{0} < {1}",
            "(sB){0} > (sB){1}", "{0} > {1}", "(sB){0} <= (sB){1}", "{0} <= {1}",
            "(sB){0} >= (sB){1}", "{0} >= {1}"), strict=True):
        _s(f"i{_bits}.{_cmp}", f"(u32)({_e.replace('sB', 's' + _bits)})")
for _t in ("f32", "f64"):
    for _cmp, _c in zip(("eq", "ne", "lt", "gt", "le", "ge"),
                        ("==", "!=", "<", ">", "<=", ">="), strict=True):
        _s(f"{_t}.{_cmp}", f"(u32)({{0}} {_c} {{1}})")
# C operators and runtime helpers by instruction name: {0}, {1} are the operands
for _t in ("i32", "i64", "f32", "f64"):
    _ops = {"add": "+", "sub": "-", "mul": "*"} | (
        {"and": "&", "or": "|", "xor": "^"} if _t[0] == "i" else {"div": "/"})
    for _name, _c in _ops.items():
        _s(f"{_t}.{_name}", f"{{0}} {_c} {{1}}")
    _unary = ("clz", "ctz", "popcnt") if _t[0] == "i" else ("abs", "neg", "sqrt")
    for _name in _unary:
        _s(f"{_t}.{_name}", f"wm_{_name}{_t[1:]}({{0}})")
    _binary = {"rotl": "rotl", "rotr": "rotr"} if _t[0] == "i" else {
        "min": "fmin", "max": "fmax", "copysign": "copysign"}
    for _name, _fn in _binary.items():
        _s(f"{_t}.{_name}", f"wm_{_fn}{_t[1:]}({{0}}, {{1}})")
for _bits, _mask in (("32", 31), ("64", 63)):
    _s(f"i{_bits}.shl", f"{{0}} << ({{1}} & {_mask})")
    _s(f"i{_bits}.shr_s", f"(u{_bits})((s{_bits}){{0}} >> ({{1}} & {_mask}))")
    _s(f"i{_bits}.shr_u", f"{{0}} >> ({{1}} & {_mask})")
for _t in ("f32", "f64"):
    for _k, _round in enumerate(("ceil", "floor", "trunc", "nearest")):
        _s(f"{_t}.{_round}", f"wm_round{_t[1:]}({{0}}, {_k})")
_s("i32.wrap_i64", "(u32){0}")
_s("i64.extend_i32_s", "(u64)(s64)(s32){0}")
_s("i64.extend_i32_u", "(u64){0}")
_s("f32.convert_i32_s", "(f32)(s32){0}")
_s("f32.convert_i32_u", "(f32){0}")
_s("f32.convert_i64_s", "(f32)(s64){0}")
_s("f32.convert_i64_u", "(f32){0}")
_s("f32.demote_f64", "(f32){0}")
_s("f64.convert_i32_s", "(f64)(s32){0}")
_s("f64.convert_i32_u", "(f64){0}")
_s("f64.convert_i64_s", "(f64)(s64){0}")
_s("f64.convert_i64_u", "(f64){0}")
_s("f64.promote_f32", "wm_promote({0})")
_s("i32.reinterpret_f32", "wm_f32u({0})")
_s("i64.reinterpret_f64", "wm_f64u({0})")
_s("f32.reinterpret_i32", "wm_uf32({0})")
_s("f64.reinterpret_i64", "wm_uf64({0})")
_s("i32.extend8_s", "(u32)(s32)(int8_t){0}")
_s("i32.extend16_s", "(u32)(s32)(int16_t){0}")
_s("i64.extend8_s", "(u64)(s64)(int8_t){0}")
_s("i64.extend16_s", "(u64)(s64)(int16_t){0}")
_s("i64.extend32_s", "(u64)(s64)(s32){0}")
for _d in ("i32", "i64"):
    for _f in ("f32", "f64"):
        for _sign in ("s", "u"):
            _s(f"{_d}.trunc_sat_{_f}_{_sign}",
               f"({CTYPE[I32 if _d == 'i32' else I64]})wm_sat_{_sign}{_d[1:]}_{_f}({{0}})")


# ---- module level ----------------------------------------------------------------------


def _global_consts(mod: Module) -> dict[int, str]:
    """Immutable globals defined with a constant initialiser fold to literals."""
    out: dict[int, str] = {}
    nimp = sum(1 for i in mod.imports if i.kind == 3)
    for k, g in enumerate(mod.globals):
        if g.type.mutable or len(g.init) != 2:
            continue
        ins = g.init[0]
        v = ins.imm[0] if ins.imm else 0
        lit = {_op("i32.const"): _hex32(v), _op("i64.const"): _hex64(v),
               _op("f32.const"): f"wm_uf32({_hex32(v)})",
               _op("f64.const"): f"wm_uf64({_hex64(v)})", OP_REF_NULL: "0"}.get(ins.op)
        if lit is not None:
            out[nimp + k] = lit
    return out


def escaping_functions(mod: Module) -> set[int]:
    """Function indices the runtime may call: exported, in element segments, referenced by
    ref.func anywhere, and the start function."""
    out: set[int] = set()
    for e in mod.exports:
        if e.kind == KIND_FUNC:
            out.add(e.index)
    if mod.start is not None:
        out.add(mod.start)
    exprs: list[list[Instr]] = [g.init for g in mod.globals]
    for seg in mod.elems:
        exprs.extend(seg.init)
        if seg.offset_expr:
            exprs.append(seg.offset_expr)
    exprs.extend(f.instrs for f in mod.funcs)
    for expr in exprs:
        for ins in expr:
            if ins.op == OP_REF_FUNC:
                out.add(ins.imm[0])
    return out


def _may_grow(mod: Module) -> list[bool]:
    """Per defined function: can a call to it change the memory's size? Only memory.grow
    can, and whatever a call leaves this module's own code for (imports; call_indirect,
    which may reach one), directly or through the functions it calls."""
    nimp = mod.num_imported_funcs
    grows = [any(i.op in (_OP_MEMORY_GROW, _OP_CALL_INDIRECT) or
                 (i.op == _OP_CALL and i.imm[0] < nimp) for i in f.instrs) for f in mod.funcs]
    callees = [{i.imm[0] - nimp for i in f.instrs if i.op == _OP_CALL and i.imm[0] >= nimp}
               for f in mod.funcs]
    changed = True
    while changed:
        changed = False
        for j, cs in enumerate(callees):
            if not grows[j] and any(grows[k] for k in cs):
                grows[j] = changed = True
    return grows


def _mem_static(mod: Module) -> bool:
    if any(i.kind == KIND_MEMORY for i in mod.imports):
        return False
    if any(e.kind == KIND_MEMORY for e in mod.exports):
        return False
    return not any(ins.op == _OP_MEMORY_GROW for f in mod.funcs for ins in f.instrs)


def translate(mod: Module, *, fuel: bool = True, bounds_checks: bool = True,
              source_name: str = "module") -> Translation:
    """The C translation unit of a validated module. bounds_checks=False leaves out the
    check of every memory access (benchmarks of MPU isolation, docs/aot.md): such code
    breaks wasm's semantics for out-of-bounds accesses and only an isolating runtime runs it."""
    sizecap.check(mod)  # before any pass: GCC's cost grows faster than the code (sizecap.py)
    func_types = [mod.types[t] for t in mod.func_type_indices()]
    nimports = mod.num_imported_funcs
    gtypes = [(g.valtype, g.mutable) for g in mod.global_types()]
    info = _ModuleInfo(mod, list(mod.types), func_types, nimports, gtypes,
                       _global_consts(mod), _mem_static(mod))
    info.may_grow = _may_grow(mod)
    calls = stackcheck.call_sites(mod)
    info.leaf_callers = stackcheck.leaf_callers(mod, calls)
    info.call_loops = callloops.calling_loops(mod, calls)
    info.inlined = inlining.forced(mod, calls, escaping_functions(mod), info.call_loops)
    if bounds_checks:
        info.value_ranges, info.mem_min = _static_memory(mod, info.func_arity, info.type_arity)
        info.mem_need = info.mem_min if info.mem_min > _MEM_NEED_MIN else 0
        info.return_facts = returnfacts.return_facts(mod, info.type_arity, info.func_arity)
        info.param_facts = paramfacts.entry_facts(mod, escaping_functions(mod),
                                                  info.type_arity, info.func_arity,
                                                  info.mem_min, info.return_facts)
    if fuel:
        info.fuel_plans = fuel_rule.check_module(mod)
        info.precharged = {j: info.fuel_plans[j].entry for j in range(len(mod.funcs))
                           if not calls[j]}
        info.flat = {j: info.fuel_plans[j].ret for j, f in enumerate(mod.funcs)
                     if _flat_size(f.instrs) <= _FLAT_MAX
                     and not any(ins.op in _NOT_FLAT for ins in f.instrs)}
    bodies = [_FuncGen(info, j, fuel, bounds_checks).generate() for j in range(len(mod.funcs))]
    bodies += [_flat_copy(bodies[j], j, r) for j, r in info.flat.items()]
    escaping = sorted(i - nimports for i in escaping_functions(mod) if i >= nimports)

    out = [f"/* {source_name}: generated by wasmote's AOT compiler - do not edit */",
           f"#define WM_AOT_FUEL {1 if fuel else 0}",
           f"#define WM_AOT_BOUNDS {1 if bounds_checks else 0}",
           f"#define WM_FUEL_BYTES {fuel_rule.BYTES}u",
           f"#define WM_FUEL_ELEMS {fuel_rule.ELEMS}u",
           f"#define WM_MEM_NEED {info.mem_need}u",
           '#include "wm_aot_prelude.h"', ""]
    for results, name in info.result_structs.items():
        fields = " ".join(f"{CTYPE[t]} v{i};" for i, t in enumerate(results))
        out.append(f"typedef struct {{ {fields} }} {name};")
    for j, f in enumerate(mod.funcs):
        ft = mod.types[f.type_idx]
        params = "".join(f", {CTYPE[t]}" for t in ft.params)
        # a flat leaf's checking copy runs only when the slice ran short at the call
        # (CHARGE3's cold path): kept out of line so that GCC inlines only the other copy
        cold = "WM_COLD " if j in info.flat else ""
        out.append(f"{cold}{info.attrs(j)}static {info.wf_type(j)} wf{j}("
                   f"{info.wf_params(j, params)});")
        if j in info.flat:
            out.append(f"WM_MAYBE_UNUSED static {info.wf_type(j)} "
                       f"wf{j}_q({info.wf_q_params(j, params)});")
    out.append("")
    out += _dispatchers(info)
    out += bodies
    out.append("")
    out += [_entry(info, j) for j in escaping]
    sigs = tuple(sig_hash(mod.types[f.type_idx]) for f in mod.funcs)
    return Translation("\n".join(out) + "\n", tuple(escaping), sigs, info.leaf_callers)


def _flat_copy(body: str, j: int, ret: int) -> str:
    """The copy of flat leaf j that its direct callers run when they charged its return
    already (CHARGE3): it starts with the fuel that was left before that charge (the
    caller's slice, by value, plus the return's) and takes it at the end without checking
    (the slice covered it)."""
    lines = body.split("\n")
    assert lines[0].count(f" wf{j}(") == 1 and lines[1] == "    FUEL_IN_P();"
    at = lines.index(f"    CHARGE({ret});")
    assert lines[at - 1] == "X:" and sum("CHARGE(" in ln for ln in lines) == 1, j
    assert not any("SYNC_IN" in ln or "FUEL_OF" in ln for ln in lines), j
    lines[0] = lines[0].replace(f" wf{j}(", f" wf{j}_q(").replace(
        "wm_aot_ctx *c FUEL_P", "intptr_t flq, wm_aot_ctx *c")
    lines[1] = f"    FUEL_IN_Q({ret});"
    lines[at] = f"    PAID({ret});"
    # the caller keeps its slice (the copy got it by value): nothing to give back
    assert lines[at + 1] == "    FUEL_RET_P();", j
    del lines[at + 1]
    return "\n".join(lines)


def _static_memory(mod: Module, fa: list[tuple[int, int]], ta: list[tuple[int, int]]
                   ) -> tuple[list[ranges.Ranges | None], int]:
    """The value intervals of every function (ranges.py) and the memory size the code may
    assume: the largest extent (offset + size, or address range + offset + size) of an
    access that then needs no check or a simpler one, never above the declared minimum."""
    mems = mod.mem_types()
    limit = mems[0].limits.min * 65536 if mems else 0
    if limit == 0:
        return [None] * len(mod.funcs), 0
    out: list[ranges.Ranges | None] = []
    need = 0
    for f in mod.funcs:
        ft = mod.types[f.type_idx]
        r = ranges.analyse(f.instrs, list(ft.params) + f.local_types(), len(ft.params), ta,
                           fa, ta)
        out.append(r)
        for i, ins in enumerate(f.instrs):
            size = checks.LOAD_SIZE.get(ins.op) or checks.STORE_SIZE.get(ins.op)
            if size is None:
                continue
            k = ins.imm[1] + size
            a = r.addr.get(i)
            extent = a.hi + k if a is not None and a.hi + k <= limit else k
            if extent <= limit:
                need = max(need, extent)
    return out, need


def _dispatchers(info: _ModuleInfo) -> list[str]:
    out = []
    mod = info.mod
    for (params, results), (name, type_idx) in info.dispatchers.items():
        ft = FuncType(params, results)
        rt = info.result_type(results)
        decl = "".join(f", {CTYPE[t]} a{i}" for i, t in enumerate(params))
        args = "".join(f", a{i}" for i in range(len(params)))
        lines = [f"static {rt} {name}(wm_aot_ctx *c, uintptr_t j, ref f{decl}) {{",
                 "    switch (j) {"]
        for j, fn in enumerate(mod.funcs):
            if mod.types[fn.type_idx] == ft:
                if results:
                    call = _call_from_runtime(info, j, args, f"{rt} r_ = ", "return r_;")
                else:
                    call = _call_from_runtime(info, j, args, "", "return;")
                lines.append(f"    case {j}: {call}")
        lines.append("    default: break;")
        lines.append("    }")
        n = max(len(params), len(results), 1)
        packs = " ".join(f"io_[{i}] = {to_slot(t, f'a{i}')};" for i, t in enumerate(params))
        lines.append(f"    u64 io_[{n}]; {packs}")
        lines.append(f"    c->rt->call_ref(c, f, {type_idx}u, io_);")
        if len(results) == 1:
            lines.append(f"    return {from_slot(results[0], 'io_[0]')};")
        elif results:
            sets = " ".join(f"r_.v{i} = {from_slot(t, f'io_[{i}]')};"
                            for i, t in enumerate(results))
            lines.append(f"    {{ {rt} r_; {sets} return r_; }}")
        lines.append("}")
        out.append("\n".join(lines))
    return out


def _call_from_runtime(info: _ModuleInfo, j: int, args: str, bind: str, then: str) -> str:
    """A call of defined function j with the slice in c->fuel (from an entry or a
    dispatcher): `bind` takes its result, `then` follows. The entry is charged here, as a
    direct call charges it (a flat leaf's return too, CHARGE3)."""
    if info.mem_in(j):
        # an inlined function: never the runtime's to call (inlining.py), but a dispatcher
        # lists every function of its type, so the call must compile
        args += ", c->mem, MSZ_LOAD()"
    if not info.fuel_plans:
        return f"{{ {bind}wf{j}(c{args}); {then} }}"

    def call(fn: str) -> str:
        before, expr, after = info.call_parts(j, fn, args)
        return f"{before} {bind + expr + ';' if expr else ''} {after} SYNC_OUT(); {then}"

    entry = info.fuel_plans[j].entry
    ret = info.flat.get(j)
    if ret is None:
        return f"{{ FUEL_IN(); CHARGE({entry}); {call(f'wf{j}')} }}"
    # the call's own check point was the caller's
    return (f"{{ FUEL_IN(); if (CHARGE3(0, {entry}, {ret})) {{ {call(f'wf{j}_q')} }} "
            f"else {{ CHARGE3_SHORT({entry}, {ret}); {call(f'wf{j}')} }} }}")


def _entry(info: _ModuleInfo, j: int) -> str:
    ft = info.types[info.mod.funcs[j].type_idx]
    args = "".join(f", {from_slot(t, f'io[{i}]')}" for i, t in enumerate(ft.params))
    if not ft.results:
        body = _call_from_runtime(info, j, args, "", "")
    elif len(ft.results) == 1:
        rt = info.result_type(ft.results)
        body = _call_from_runtime(info, j, args, f"{rt} r_ = ",
                                  f"io[0] = {to_slot(ft.results[0], 'r_')};")
    else:
        rt = info.result_type(ft.results)
        sets = " ".join(f"io[{i}] = {to_slot(t, f'r_.v{i}')};" for i, t in enumerate(ft.results))
        body = _call_from_runtime(info, j, args, f"{rt} r_ = ", sets)
    if info.mem_min:
        body = f"MEM_MIN({info.mem_min}u); {body}"
    if j not in info.stack_checked:
        body = f"ENTRY_STACK(); {body}"
    return f"WM_ENTRY void wm_e{j}(wm_aot_ctx *c, u64 *io) {{ {body} }}"
