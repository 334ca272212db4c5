;; Attacks on the AOT translator's check elimination (tests/aot/test_aot_redteam.py; run by
;; tests/aot/c/aot_unit.c's "redteam" case against the interpreter in many fuel slices).
;; Every function takes three i32 and returns an i32; each is built so that the access
;; that must trap is the last one it makes and the loops it may hold without charges are
;; the ones whose proof is attacked: an unchecked access outside the memory or a loop that
;; runs past its slice shows as a different result, trap, fuel left or memory. Loops whose
;; fuel or checks the translator optimises store their counters each iteration to fixed
;; progress words (0x8000: the outer loop's or the only one's, 0x8004: the inner loop's;
;; `;; where`): aot_unit hashes them at every suspension, so one that moves by an
;; iteration shows there even when nothing else differs.
(module
  (memory 1 3)

  ;; loops.py: a pointer stepping by +4 (wraps past 2^32 into low addresses; straddles the
  ;; end in the last iteration) and one stepping by -4 below 0
  (func (export "up4") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (i32.store (local.get $p) (local.get $n))
      (local.set $s (i32.add (local.get $s) (i32.load offset=4 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
  (func (export "down4") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (i32.store8 offset=3 (local.get $p) (local.get $n))
      (local.set $p (i32.add (local.get $p) (i32.const -4)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))

  ;; loops.py: a derived base q = b + (i << 2) and q = b + i * 12 whose products wrap at 2^32
  (func (export "shl") (param $b i32) (param $i i32) (param $n i32) (result i32)
    (local $q i32) (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $q (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $q))))
      (i32.store offset=8 (local.get $q) (local.get $i))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (local.get $n))))
    (local.get $s))
  (func (export "mul12") (param $b i32) (param $i i32) (param $n i32) (result i32)
    (local $q i32) (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $q (i32.add (i32.mul (local.get $i) (i32.const 12)) (local.get $b)))
      (local.set $s (i32.add (local.get $s) (i32.load16_u offset=10 (local.get $q))))
      (i32.store8 (local.get $q) (local.get $i))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (local.get $n))))
    (local.get $s))

  ;; loops.py / loopfuel.py: a counter stepping by 3 (and by 2) that skips past its end
  ;; (`i != n` first holds again only after wrapping at 2^32, or never): not counted
  (func (export "skip3") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $i i32) (local $s i32) (local $q i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $q (i32.add (local.get $b) (local.get $i)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
      (i32.store8 offset=1 (local.get $q) (local.get $s))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 3)))
                        (local.get $n))))
    (local.get $s))
  (func (export "skip2") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (if (i32.and (local.get $i) (i32.const 8))
        (then (local.set $s (i32.add (local.get $s) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (i32.add (local.get $s) (local.get $b)))

  ;; loopfuel.py: `c <u b` / `c <s b` whose counter steps over the end of its range and
  ;; comes back below b (runs for ever), and the counter also changed inside an if
  (func (export "ltu_wrap") (param $c i32) (param $b i32) (param $s i32) (result i32)
    (local $t i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $c))  ;; where
      (if (i32.eqz (local.get $c)) (then (local.set $t (i32.add (local.get $t) (i32.const 1)))))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (br_if $l (i32.lt_u (local.get $c) (local.get $b))))
    (local.get $t))
  (func (export "lts_wrap") (param $c i32) (param $b i32) (param $s i32) (result i32)
    (local $t i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $c))  ;; where
      (if (i32.eqz (local.get $c)) (then (local.set $t (i32.add (local.get $t) (i32.const 1)))))
      (local.set $c (i32.add (local.get $c) (i32.const 1000)))
      (br_if $l (i32.gt_s (local.get $b) (local.get $c))))
    (local.get $t))
  ;; `>u` loops with branches (loopfuel._branching): a rising counter under `c >u b` runs
  ;; until it wraps (once read as `c <u b`: no branch back paid, a charge-free copy that
  ;; never suspended); a falling one is `~c <u ~b`, and wraps below 0 the same way
  (func (export "gtu_rise") (param $c i32) (param $b i32) (param $s i32) (result i32)
    (local $t i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $c))  ;; where
      (if (i32.eqz (local.get $c)) (then (local.set $t (i32.add (local.get $t) (i32.const 1)))))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (br_if $l (i32.gt_u (local.get $c) (local.get $b))))
    (local.get $t))
  (func (export "gtu_fall") (param $c i32) (param $b i32) (param $s i32) (result i32)
    (local $t i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $c))  ;; where
      (if (i32.eqz (local.get $c)) (then (local.set $t (i32.add (local.get $t) (i32.const 1)))))
      (local.set $c (i32.add (local.get $c) (i32.const -16)))
      (br_if $l (i32.gt_u (local.get $c) (local.get $b))))
    (local.get $t))
  (func (export "bumped") (param $c i32) (param $b i32) (param $j i32) (result i32)
    (local $t i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $c))  ;; where
      (if (i32.eq (local.get $c) (local.get $j))
        (then (local.set $c (i32.sub (local.get $c) (i32.const 5)))))
      (local.set $t (i32.add (local.get $t) (local.get $c)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $l (i32.ne (local.get $c) (local.get $b))))
    (local.get $t))
  ;; the bound moving in the body (b assigned), and a br_table whose targets include the
  ;; loop (another branch back)
  (func (export "bound_moves") (param $c i32) (param $b i32) (param $x i32) (result i32)
    (local $t i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $c))  ;; where
      (if (i32.eq (local.get $c) (local.get $x))
        (then (local.set $b (i32.add (local.get $b) (i32.const 7)))))
      (local.set $t (i32.add (local.get $t) (i32.const 3)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $l (i32.ne (local.get $c) (local.get $b))))
    (local.get $t))
  (func (export "table_back") (param $c i32) (param $b i32) (param $x i32) (result i32)
    (local $t i32)
    (block $out
      (loop $l
        (i32.store (i32.const 0x8000) (local.get $t))  ;; where
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (block $next
          (br_table $next $l $out
                    (i32.and (i32.shr_u (local.get $x) (local.get $t)) (i32.const 1))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br_if $l (i32.ne (local.get $c) (local.get $b)))))
    (local.get $t))
  ;; a charge-free copy left by return and by a trap in the middle
  (func (export "leave") (param $n i32) (param $r i32) (param $d i32) (result i32)
    (local $i i32) (local $t i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (if (i32.eq (local.get $i) (local.get $r)) (then (return (local.get $t))))
      (local.set $t (i32.add (local.get $t) (i32.div_u (i32.const 100) (i32.sub (local.get $d) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (local.get $t))

  ;; guards.py: an invariant base plus a signed loaded byte (negative indexes), a base
  ;; aliased before the loop (q = p + 65000, wrapping), a select between two ranges
  (func (export "g_s8") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $s i32)
    (i32.store16 (local.get $x) (i32.const 0x7f80))  ;; bytes -128, 127
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u (i32.add (local.get $b) (i32.load8_s (local.get $x))))))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
  (func (export "g_alias") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $q i32) (local $s i32)
    (local.set $q (i32.add (local.get $p) (i32.const 65000)))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (i32.store8 (i32.add (local.get $q) (i32.and (local.get $x) (i32.const 255)))
                  (local.get $n))
      (local.set $s (i32.add (local.get $s)
        (i32.load16_u offset=300 (i32.add (local.get $q) (i32.and (local.get $x) (i32.const 255))))))
      (local.set $x (i32.mul (local.get $x) (i32.const 5)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
  (func (export "g_select") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (local.set $s (i32.add (local.get $s)
        (i32.load (i32.add (local.get $b)
                           (select (i32.and (local.get $x) (i32.const 252)) (i32.const 65532)
                                   (i32.and (local.get $n) (i32.const 1)))))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
  ;; guards.py: a local read before it is assigned in the iteration (ranges.py's interval of
  ;; it: every value it ever holds, here a parameter's copy, so unknown)
  (func (export "g_prev") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32) (local $s i32)
    (local.set $k (local.get $x))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $b) (local.get $k)))))
      (local.set $k (i32.and (local.get $s) (i32.const 127)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
  ;; guards.py / msz: a loop that grows the memory through a call, then reaches the new page
  (func $grow (result i32) (memory.grow (i32.const 1)))
  (func (export "g_grow") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (call $grow)))
      (i32.store8 (i32.add (local.get $b) (i32.and (local.get $x) (i32.const 255))) (local.get $s))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (i32.add (local.get $s) (memory.size)))

  ;; dominated.py: the base reassigned on one arm of an if, in a loop's back edge, and by a
  ;; br_table back to a loop after the base moved
  (func (export "d_if") (param $p i32) (param $q i32) (param $c i32) (result i32)
    (local $s i32)
    (local.set $s (i32.load offset=8 (local.get $p)))
    (if (local.get $c) (then (local.set $p (local.get $q))))
    (i32.add (local.get $s) (i32.load offset=8 (local.get $p))))
  (func (export "d_loop") (param $p i32) (param $n i32) (param $c i32) (result i32)
    (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (local.get $c)))
      (br_if $l (i32.and (local.tee $n (i32.add (local.get $n) (i32.const -1))) (i32.const 255))))
    (local.get $s))
  (func (export "d_table") (param $p i32) (param $q i32) (param $n i32) (result i32)
    (local $s i32)
    (block $out
      (loop $l
        (local.set $s (i32.add (local.get $s) (i32.load16_u (local.get $p))))
        (local.set $n (i32.add (local.get $n) (i32.const -1)))
        (block $b
          (local.set $p (local.get $q))
          (br_table $b $l $out (i32.and (local.get $n) (i32.const 3))))
        (br_if $l (local.get $n))))
    (local.get $s))

  ;; ranges.py / CHKL: a loop-free function whose accesses share one limit, with k from 1
  ;; to 65 (above CHKL's cap of 64) and a byte index plus a constant right at the end
  (func (export "chkl") (param $p i32) (param $x i32) (param $sel i32) (result i32)
    (local $s i32)
    (local.set $s (i32.load8_u (local.get $p)))
    (if (i32.and (local.get $sel) (i32.const 1))
      (then (local.set $s (i32.add (local.get $s) (i32.load offset=60 (local.get $p))))))
    (if (i32.and (local.get $sel) (i32.const 2))
      (then (local.set $s (i32.add (local.get $s) (i32.load offset=61 (local.get $p))))))
    (if (i32.and (local.get $sel) (i32.const 4))
      (then (local.set $s (i32.add (local.get $s)
        (i32.load16_u offset=65278 (i32.and (local.get $x) (i32.const 255))))))
      (else (local.set $s (i32.add (local.get $s)
        (i32.load16_u offset=65024 (i32.shl (i32.and (local.get $x) (i32.const 255)) (i32.const 1)))))))
    (local.get $s))
  ;; offsets near 2^32 (the wasm effective address does not wrap) in a segment and a loop
  (func (export "far") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $s i32)
    (if (local.get $x)
      (then (local.set $s (i32.load offset=0xfffffffc (local.get $p)))))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load8_u offset=0xffff0000 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (i32.add (local.get $s)
             (i32.add (i32.load8_u (local.get $p)) (i32.load8_u offset=1 (local.get $p)))))
  ;; unaligned 8-byte accesses straddling the end in a counted loop
  (func (export "straddle") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $s i64)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (i64.store offset=1 (local.get $p) (i64.extend_i32_u (local.get $n)))
      (local.set $s (i64.add (local.get $s) (i64.load offset=3 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 3)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (i32.wrap_i64 (i64.shr_u (local.get $s) (i64.const 7))))

  ;; narrow.py: i64 values known only through a shift by a variable amount (the high word of
  ;; the product: a 32x32 multiply of the truncated operands gets it wrong)
  (func (export "narrow") (param $n i32) (param $m i32) (param $x i32) (result i32)
    (local $v i64)
    (local.set $v (i64.sub (i64.const 0x10000000000)
                           (i64.shr_u (i64.const 0x10000000000) (i64.extend_i32_u (local.get $n)))))
    (i32.wrap_i64 (i64.shr_u
      (i64.add (i64.mul (local.get $v) (i64.const 3))
               (i64.mul (i64.extend_i32_s (i32.sub (i32.const 0x40000000)
                                          (i32.shr_u (i32.const 0x40000000) (local.get $m))))
                        (i64.const 0x7fff)))
      (i64.const 32))))
;; walkfuel.py: walks whose trip count is unknown, charged a round of copies ahead.
  ;; $lay(b, n, end) lays a chain out: node k at b + 8k holds the next node's address
  ;; (the last one's: end) and k + 1. walk(b, n, end) follows it from b: it falls out at a
  ;; next of 0 (in any copy of the round: n = 1..8), returns at a node at 1, traps at the
  ;; last byte (end = 65532: the value at 65536) or on a chain that starts outside
  (func $lay (param $b i32) (param $n i32) (param $end i32)
    (local $k i32) (local $p i32)
    (if (i32.eqz (local.get $n)) (then (return)))
    (loop $l
      (local.set $p (i32.add (local.get $b) (i32.shl (local.get $k) (i32.const 3))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (i32.store offset=4 (local.get $p) (local.get $k))
      (i32.store (local.get $p)
        (select (local.get $end) (i32.add (local.get $p) (i32.const 8))
                (i32.eq (local.get $k) (local.get $n))))
      (br_if $l (i32.ne (local.get $k) (local.get $n)))))
  (func (export "walk") (param $b i32) (param $n i32) (param $end i32) (result i32)
    (local $p i32) (local $s i32)
    (call $lay (local.get $b) (local.get $n) (local.get $end))
    (local.set $p (local.get $b))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $p))  ;; where
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 3))
                             (i32.load offset=4 (local.get $p))))
      (if (i32.eq (local.get $p) (i32.const 1))
        (then (return (i32.add (local.get $s) (i32.const 1000)))))
      (local.set $p (i32.load (local.get $p)))
      (br_if $l (local.get $p)))
    (local.get $s))
  ;; the same chain (end 0) left by a branch out at the node whose value is x
  (func (export "walk_out") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $p i32) (local $s i32)
    (call $lay (local.get $b) (local.get $n) (i32.const 0))
    (local.set $p (local.get $b))
    (block $found
      (loop $l
        (i32.store (i32.const 0x8000) (local.get $p))  ;; where
        (local.set $s (i32.add (local.get $s) (i32.load offset=4 (local.get $p))))
        (br_if $found (i32.eq (i32.load offset=4 (local.get $p)) (local.get $x)))
        (local.set $p (i32.load (local.get $p)))
        (br_if $l (local.get $p)))
      (return (local.get $s)))
    (i32.sub (i32.const 0) (local.get $s)))
  ;; a state machine over bytes that skips 1 or 2 by the byte it reads (a walk: where it
  ;; goes next is read from memory; a charge over 24: two copies), with four branches back
  ;; (one through a br_table), a branch out at a 0 byte, a return at byte x, and a trap at
  ;; the last byte: bytes 7k | 0x40 laid from p to p + n first
  (func (export "states") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $c i32) (local $st i32) (local $t i32) (local $k i32)
    (loop $fill
      (i32.store (i32.const 0x8004) (local.get $k))  ;; where
      (i32.store8 (i32.add (local.get $p) (local.get $k))
                  (i32.or (i32.mul (local.get $k) (i32.const 7)) (i32.const 0x40)))
      (br_if $fill (i32.ne (local.tee $k (i32.add (local.get $k) (i32.const 1)))
                           (local.get $n))))
    (block $out
      (loop $l
        (i32.store (i32.const 0x8000) (local.get $p))  ;; where
        (local.set $c (i32.load8_u (local.get $p)))
        (local.set $p (i32.add (local.get $p)
                               (i32.add (i32.and (local.get $c) (i32.const 1)) (i32.const 1))))
        (br_if $out (i32.eqz (local.get $c)))
        (if (i32.eq (local.get $c) (local.get $x))
          (then (return (i32.add (local.get $st) (local.get $t)))))
        (local.set $t (i32.add (local.get $t) (local.get $c)))
        (block $b2
          (block $b1
            (block $b0
              (br_table $b0 $b1 $b2 $l (i32.and (local.get $c) (i32.const 3))))
            (local.set $st (i32.add (local.get $st) (i32.const 1)))
            (br $l))
          (local.set $st (i32.xor (local.get $st) (local.get $c)))
          (br_if $l (i32.and (local.get $c) (i32.const 4))))
        (local.set $st (i32.mul (local.get $st) (i32.const 3)))
        (local.set $st (i32.add (local.get $st) (i32.shr_u (local.get $t) (i32.const 3))))
        (local.set $st (i32.xor (local.get $st) (i32.shl (local.get $c) (i32.const 9))))
        (local.set $st (i32.rotl (local.get $st) (i32.const 5)))
        (br_if $l (i32.ne (local.get $st) (i32.const 0x7fffffff)))))
    (i32.add (local.get $st) (local.get $t)))
  ;; constant parameters (aot-constparam): every direct call passes a constant base, but
  ;; the runtime (an export) and call_indirect (a table) pass any value
  (type $t3 (func (param i32 i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $cp_tab)
  (func $cp (export "cp") (param $p i32) (param $k i32) (param $z i32) (result i32)
    (i32.load8_u (i32.add (local.get $p) (i32.and (local.get $k) (i32.const 255)))))
  (func $cp_tab (param $p i32) (param $k i32) (param $z i32) (result i32)
    (i32.load16_u offset=2 (i32.add (local.get $p) (i32.and (local.get $k) (i32.const 255)))))
  (func (export "cp_call") (param $p i32) (param $k i32) (param $z i32) (result i32)
    (i32.add (call $cp (i32.const 16) (local.get $k) (i32.const 0))
             (call $cp_tab (i32.const 8) (local.get $k) (i32.const 0))))
  (func (export "cp_ind") (param $p i32) (param $k i32) (param $z i32) (result i32)
    (call_indirect (type $t3) (local.get $p) (local.get $k) (local.get $z) (i32.const 0)))
;; guardhoist.py: a walk's guard on a base the loop around it never assigns, tested once
  ;; before that loop (the last byte of the memory, one past it, a base below 0); the
  ;; memory grown between walks (the test at the outer entry fails, later ones hold); a base
  ;; the outer loop moves (must stay in the walk's own guard)
  (func (export "h_walk") (param $t i32) (param $n i32) (param $x i32) (result i32)
    (local $node i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (local.set $node (i32.const 0))
      (loop $walk
        (i32.store (i32.const 0x8004) (local.get $node))  ;; where
        (local.set $node (i32.add (local.get $node) (i32.add (i32.const 1)
          (i32.load8_u (i32.add (local.get $t) (i32.and (local.get $node) (i32.const 255)))))))
        (br_if $walk (i32.lt_u (local.get $node) (local.get $x))))
      (local.set $s (i32.add (local.get $s) (local.get $node)))
      (br_if $outer (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
  (func (export "h_grow") (param $t i32) (param $n i32) (param $x i32) (result i32)
    (local $node i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (local.set $s (i32.add (local.get $s) (call $grow)))
      (local.set $node (i32.const 0))
      (loop $walk
        (i32.store (i32.const 0x8004) (local.get $node))  ;; where
        (local.set $node (i32.add (local.get $node) (i32.add (i32.const 1)
          (i32.load8_u (i32.add (local.get $t) (i32.and (local.get $node) (i32.const 255)))))))
        (br_if $walk (i32.lt_u (local.get $node) (local.get $x))))
      (local.set $s (i32.add (local.get $s) (local.get $node)))
      (br_if $outer (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (i32.add (local.get $s) (memory.size)))
  (func (export "h_moved") (param $t i32) (param $n i32) (param $x i32) (result i32)
    (local $node i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (local.set $node (i32.const 0))
      (loop $walk
        (i32.store (i32.const 0x8004) (local.get $node))  ;; where
        (local.set $node (i32.add (local.get $node) (i32.add (i32.const 1)
          (i32.load8_u (i32.add (local.get $t) (i32.and (local.get $node) (i32.const 255)))))))
        (br_if $walk (i32.lt_u (local.get $node) (local.get $x))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (local.set $s (i32.add (local.get $s) (local.get $node)))
      (br_if $outer (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
  ;; prepay.py: the branch back pays the inner loop's entry too; between them a store and
  ;; a load that traps at the memory's end (the trap's fuel left, the store done before it)
  (func (export "p_trap") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (i32.store (local.get $p) (local.get $n))
      (local.set $s (i32.add (local.get $s) (i32.load offset=4 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $k (local.get $x))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $k))  ;; where
        (local.set $s (i32.add (local.get $s) (local.get $k)))
        (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1)))))
      (br_if $outer (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
;; outerloops.py: a counted loop whose body holds an inner loop, its top-level accesses
  ;; tested once before it (the last byte, one past it where the last iteration traps after
  ;; the stores before it, a bound that wraps past 2^32, fewer than 4 trips); a branch from
  ;; the inner loop back to the outer one without counting, and a counter the inner loop
  ;; also moves (neither may be versioned)
  (func (export "o_walk") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $p))  ;; where
      (local.set $k (i32.or (i32.load8_u offset=1 (local.get $p)) (local.get $x)))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $k))  ;; where
        (local.set $s (i32.add (local.get $s) (local.get $k)))
        (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1)))))
      (i32.store8 (local.get $p) (local.get $s))
      (br_if $outer (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                            (local.get $n))))
    (local.get $s))
  (func (export "o_cont") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $p))  ;; where
      (local.set $k (i32.load8_u offset=1 (local.get $p)))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $k))  ;; where
        (if (i32.and (i32.eq (local.get $k) (local.get $x)) (i32.ne (local.get $k) (i32.const 0)))
          (then (i32.store8 offset=1 (local.get $p) (i32.const 0))
                (br $outer)))
        (local.set $s (i32.add (local.get $s) (local.get $k)))
        (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1)))))
      (i32.store8 (local.get $p) (local.get $s))
      (br_if $outer (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                            (local.get $n))))
    (local.get $s))
  (func (export "o_moved") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $p))  ;; where
      (local.set $k (i32.or (i32.load8_u offset=1 (local.get $p)) (local.get $x)))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $k))  ;; where
        (local.set $s (i32.add (local.get $s) (local.get $k)))
        (local.set $p (i32.add (local.get $p) (i32.and (local.get $k) (i32.const 1))))
        (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1)))))
      (i32.store8 (local.get $p) (local.get $s))
      (br_if $outer (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                            (local.get $n))))
    (local.get $s))
;; rangehoist.py: an inner counted loop's range test made before the loop around it, its
  ;; counter set to 0 and its base copied from a local the outer loop never assigns; the
  ;; range ends at the last byte or one past, the trip count wraps (n = 0), the memory grows
  ;; between entries; the outer loop moves the base, the bound, or sets the base on one arm
  (func (export "r_dot") (param $b i32) (param $n i32) (param $m i32) (result i32)
    (local $j i32) (local $q i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $m))  ;; where
      (local.set $j (i32.const 0))
      (local.set $q (local.get $b))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $j))  ;; where
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
        (i32.store8 (local.get $q) (local.get $s))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br_if $inner (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                              (local.get $n))))
      (br_if $outer (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
    (local.get $s))
  (func (export "r_grow") (param $b i32) (param $n i32) (param $m i32) (result i32)
    (local $j i32) (local $q i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $m))  ;; where
      (local.set $s (i32.add (local.get $s) (call $grow)))
      (local.set $j (i32.const 0))
      (local.set $q (local.get $b))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $j))  ;; where
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
        (i32.store8 (local.get $q) (local.get $s))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br_if $inner (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                              (local.get $n))))
      (br_if $outer (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
    (local.get $s))
  (func (export "r_moved") (param $b i32) (param $n i32) (param $m i32) (result i32)
    (local $j i32) (local $q i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $m))  ;; where
      (local.set $j (i32.const 0))
      (local.set $q (local.get $b))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $j))  ;; where
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
        (i32.store8 (local.get $q) (local.get $s))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br_if $inner (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                              (local.get $n))))
      (local.set $b (i32.add (local.get $b) (i32.const 3)))
      (br_if $outer (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
    (local.get $s))
  (func (export "r_count") (param $b i32) (param $n i32) (param $m i32) (result i32)
    (local $j i32) (local $q i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $m))  ;; where
      (local.set $j (i32.const 0))
      (local.set $q (local.get $b))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $j))  ;; where
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
        (i32.store8 (local.get $q) (local.get $s))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br_if $inner (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                              (local.get $n))))
      (local.set $n (i32.add (local.get $n) (i32.const 4)))
      (br_if $outer (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
    (local.get $s))
  (func (export "r_if") (param $b i32) (param $n i32) (param $m i32) (result i32)
    (local $j i32) (local $q i32) (local $s i32)
    (local.set $q (local.get $b))
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $m))  ;; where
      (local.set $j (i32.const 0))
      (if (i32.and (local.get $m) (i32.const 1)) (then (local.set $q (local.get $b))))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $j))  ;; where
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
        (i32.store8 (local.get $q) (local.get $s))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br_if $inner (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                              (local.get $n))))
      (br_if $outer (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
    (local.get $s))
;; rangehoist.py with fuel: the inner loop's FUEL_COVERS made once before the loop around
  ;; it (N runs of it, each at most its head's charge plus the inner loop's whole charge):
  ;; an outer `<` loop that runs once (m <= 1), wraps, or skips the inner loop on odd runs;
  ;; an `!=` loop whose counter wraps (r_dot m = 0); a trap in the inner loop of the copy
  ;; in the 4th outer run (j == m)
  (func (export "r_flt") (param $b i32) (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $j i32) (local $q i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $j (i32.const 0))
      (local.set $q (local.get $b))
      (block $skip
        (br_if $skip (i32.and (local.get $i) (i32.const 1)))
        (loop $inner
          (i32.store (i32.const 0x8004) (local.get $j))  ;; where
          (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
          (i32.store8 (local.get $q) (local.get $s))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br_if $inner (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                                (local.get $n)))))
      (br_if $outer (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $m))))
    (local.get $s))
  (func (export "r_ftrap") (param $b i32) (param $n i32) (param $m i32) (result i32)
    (local $j i32) (local $q i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $m))  ;; where
      (local.set $j (i32.const 0))
      (local.set $q (local.get $b))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $j))  ;; where
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
        (i32.store8 (local.get $q) (local.get $s))
        (local.set $s (i32.add (local.get $s)
                               (i32.div_u (i32.const 7) (i32.xor (local.get $m) (local.get $j)))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br_if $inner (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                              (local.get $n))))
      (br_if $outer (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
    (local.get $s))
  ;; the trap in the last inner iteration of the last outer run (m == 1, j == n - 1): a
  ;; slice one outer run short of the test's bound suspends there first
  (func (export "r_flast") (param $b i32) (param $n i32) (param $m i32) (result i32)
    (local $j i32) (local $q i32) (local $s i32)
    (loop $outer
      (i32.store (i32.const 0x8000) (local.get $m))  ;; where
      (local.set $j (i32.const 0))
      (local.set $q (local.get $b))
      (loop $inner
        (i32.store (i32.const 0x8004) (local.get $j))  ;; where
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
        (i32.store8 (local.get $q) (local.get $s))
        (local.set $s (i32.add (local.get $s) (i32.div_u (i32.const 7) (i32.or
          (i32.xor (local.get $m) (i32.const 1))
          (i32.xor (local.get $j) (i32.sub (local.get $n) (i32.const 1)))))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br_if $inner (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                              (local.get $n))))
      (br_if $outer (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
    (local.get $s))
  ;; dominated.py's copies and extents: an access at a local copied from another plus a
  ;; constant stands for one at the other (until either is assigned again); a proved extent
  ;; covers a larger constant only within it. Each has a call that traps at the access a
  ;; slightly wrong rule would leave unchecked.
  ;; the source moves after the copy: p + 8 no longer equals a
  (func (export "dc_src") (param $p i32) (param $d i32) (param $x i32) (result i32)
    (local $a i32) (local $s i32)
    (local.set $a (i32.add (local.get $p) (i32.const 8)))
    (local.set $s (i32.load (local.get $a)))
    (local.set $p (i32.add (local.get $p) (local.get $d)))
    (i32.add (local.get $s) (i32.load (i32.add (local.get $p) (i32.const 8)))))
  ;; the copy is made differently on the two arms of an if
  (func (export "dc_merge") (param $p i32) (param $c i32) (param $x i32) (result i32)
    (local $a i32) (local $s i32)
    (local.set $s (i32.load offset=12 (local.get $p)))
    (if (local.get $c)
      (then (local.set $a (i32.add (local.get $p) (i32.const 12))))
      (else (local.set $a (i32.add (local.get $p) (i32.const 4096)))))
    (i32.add (local.get $s) (i32.load (local.get $a))))
  ;; proved at p + 8 (wrapping to 0 for p = -8) says nothing of p itself
  (func (export "dc_below") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (local $s i32)
    (local.set $s (i32.load (i32.add (local.get $p) (i32.const 8))))
    (i32.add (local.get $s) (i32.load (local.get $p))))
  ;; proved up to p + 8: a word at p + 6 reaches two bytes further
  (func (export "dc_above") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (local $s i32)
    (local.set $s (i32.load offset=4 (local.get $p)))
    (i32.add (local.get $s) (i32.load (i32.add (local.get $p) (i32.const 6)))))
  ;; the proved case: an access through the copy, the source moved since, and a store
  ;; through the copy at the same word
  (func (export "dc_ok") (param $p i32) (param $v i32) (param $x i32) (result i32)
    (local $a i32) (local $s i32)
    (local.set $a (i32.add (local.get $p) (i32.const 32)))
    (local.set $s (i32.load offset=32 (local.get $p)))
    (local.set $p (local.get $x))
    (i32.store (local.get $a) (i32.add (local.get $s) (local.get $v)))
    (i32.load offset=4 (i32.add (local.get $a) (i32.const -8))))
  ;; dominated.py: a copy made after its source's facts carries them, shifted by the copy's
  ;; constant (`a = p + 8` after a word at p proves a word at a - 8, not at a + 8)
  (func (export "dx_shift") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (local $a i32) (local $s i32)
    (local.set $s (i32.load (local.get $p)))
    (local.set $a (i32.add (local.get $p) (i32.const 8)))
    (local.set $p (local.get $y))
    (local.set $s (i32.add (local.get $s) (i32.load (i32.add (local.get $a) (i32.const -8)))))
    (i32.add (local.get $s) (i32.load (i32.add (local.get $a) (i32.const 8)))))
  ;; a merge of two arms that proved different addresses of p (8 bytes at p, 8 at p + 4)
  ;; keeps 4 bytes at p + 4, not 8
  (func (export "dx_meet") (param $p i32) (param $c i32) (param $y i32) (result i32)
    (local $s i64)
    (if (local.get $c)
      (then (local.set $s (i64.load (local.get $p))))
      (else (local.set $s (i64.load (i32.add (local.get $p) (i32.const 4))))))
    (local.set $s (i64.add (local.get $s)
                           (i64.load32_u (i32.add (local.get $p) (i32.const 4)))))
    (i32.wrap_i64 (i64.add (local.get $s) (i64.load (i32.add (local.get $p) (i32.const 4))))))
  ;; the rounds' widening: a pointer moved through a copy each iteration shrinks what the
  ;; read before the loop proved at it by 8 a round; the loop's byte read stays checked
  (func (export "dx_widen") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $q i32) (local $s i32)
    (local.set $s (i32.load offset=28 (local.get $p)))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
      (local.set $q (i32.add (local.get $p) (i32.const 8)))
      (local.set $p (local.get $q))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  ;; a list merge's tail (sglib's dllist_sort): `t = p + 4` before p's next is read proves
  ;; the store through t in the next round; entering, t is a copy of a word read at x
  (func (export "dx_tail") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $t i32)
    (drop (i32.load (local.get $x)))
    (local.set $t (local.get $x))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (i32.store (local.get $t) (local.get $p))
      (local.set $t (i32.add (local.get $p) (i32.const 4)))
      (local.set $p (i32.load offset=4 (local.get $p)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $t))
  ;; ... entering with only two bytes read at x: the first round's store stays checked
  (func (export "dx_tail16") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $t i32)
    (drop (i32.load16_u (local.get $x)))
    (local.set $t (local.get $x))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $n))  ;; where
      (i32.store (local.get $t) (local.get $p))
      (local.set $t (i32.add (local.get $p) (i32.const 4)))
      (local.set $p (i32.load offset=4 (local.get $p)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $t))
  ;; loops.py: a counter kept through a copy while the local itself is reused in between
  ;; (LLVM's `$j = $i; $i = $j * 4 + $p; ...; $i = $j + 1`: ud's j loops); the copy read as
  ;; a byte index, the local as a word's pointer
  (func (export "rot") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $i (i32.add (i32.shl (local.tee $j (local.get $i)) (i32.const 2))
                             (local.get $p)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u offset=100 (local.get $j))))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $i))))
      (local.set $i (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.ne (local.get $j) (local.get $n))))
    (local.get $s))
  ;; outerloops.py: the same counter around an inner loop that moves the local again
  (func (export "o_rot") (param $p i32) (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32) (local $k i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $i (i32.add (i32.mul (local.tee $j (local.get $i)) (i32.const 8))
                             (local.get $p)))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $i))))
      (local.set $k (local.get $m))
      (loop $in
        (i32.store (i32.const 0x8004) (local.get $k))  ;; where
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $in (local.tee $k (i32.add (local.get $k) (i32.const -1)))))
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.ne (local.get $j) (local.get $n))))
    (local.get $s))
  ;; cmpbound.py: a heap's sift-down (indexes after the program's own `c <s n`; the first
  ;; child read before any compare; x's bits choose the path, a walk to a[n - 1] for
  ;; n = 2^k - 1 and x = -1), b + 4n at the last byte, past it, wrapping past 2^32
  (func (export "c_sift") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $i i32) (local $c i32) (local $m i32) (local $r i32) (local $s i32)
    (local.set $i (i32.const 0))
    (local.set $c (i32.const 1))
    (block $done
      (loop $l
        (i32.store (i32.const 0x8000) (local.get $i))  ;; where
        (local.set $s (i32.add (local.get $s)
          (i32.load (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $m (select (local.get $c) (local.get $i) (i32.and (local.get $x) (i32.const 1))))
        (block $no_r
          (br_if $no_r (i32.ge_s (local.tee $r (i32.add (local.get $c) (i32.const 1)))
                                 (local.get $n)))
          (local.set $s (i32.add (local.get $s)
            (i32.load (i32.add (local.get $b) (i32.shl (local.get $r) (i32.const 2))))))
          (if (i32.and (local.get $x) (i32.const 2)) (then (local.set $m (local.get $r)))))
        (br_if $done (i32.eq (local.get $m) (local.get $i)))
        (i32.store (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))) (local.get $s))
        (i32.store (i32.add (local.get $b) (i32.shl (local.get $m) (i32.const 2))) (local.get $x))
        (local.set $x (i32.rotr (local.get $x) (i32.const 2)))
        (local.set $i (local.get $m))
        (br_if $l (i32.lt_s (local.tee $c (i32.or (i32.shl (local.get $i) (i32.const 1))
                                                  (i32.const 1)))
                            (local.get $n)))))
    (local.get $s))
  ;; a signed compare of an index that may be negative (k - x: -1 in the last iteration)
  (func (export "c_neg") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $i i32) (local $k i32) (local $s i32)
    (local.set $k (i32.const 4))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $k))  ;; where
      (local.set $i (i32.sub (local.get $k) (local.get $x)))
      (if (i32.lt_s (local.get $i) (local.get $n))
        (then (local.set $s (i32.add (local.get $s)
          (i32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))))
      (br_if $l (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
    (local.get $s))
  ;; an unsigned compare of an unknown index (x - k, rising to x - 1), whose address wraps
  ;; when b + 4n does; an access after the if, where the index is not bounded
  (func (export "c_wrap") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $i i32) (local $k i32) (local $s i32)
    (local.set $k (i32.const 8))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $k))  ;; where
      (if (i32.lt_u (local.tee $i (i32.sub (local.get $x) (local.get $k))) (local.get $n))
        (then
          (local.set $s (i32.add (local.get $s)
            (i32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
          (i32.store offset=0 (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))
                     (local.get $k))))
      ;; on both arms: i >= n on the other one
      (local.set $s (i32.add (local.get $s)
        (i32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
      (br_if $l (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
    (local.get $s))
  ;; the compare is on another local (j < n, then a[i])
  (func (export "c_other") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $i i32) (local $j i32) (local $k i32) (local $s i32)
    (local.set $k (i32.const 4))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $k))  ;; where
      (local.set $i (i32.sub (local.get $x) (local.get $k)))
      (local.set $j (local.get $k))
      (if (i32.lt_u (local.get $j) (local.get $n))
        (then (local.set $s (i32.add (local.get $s)
          (i32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))))
      (br_if $l (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
    (local.get $s))
  ;; the index is assigned again between the compare and the access, or on one arm of an if
  (func (export "c_reass") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $i i32) (local $k i32) (local $s i32)
    (local.set $k (i32.const 4))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $k))  ;; where
      (local.set $i (local.get $k))
      (if (i32.lt_u (local.get $i) (local.get $n))
        (then
          (local.set $s (i32.add (local.get $s)
            (i32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
          (if (i32.eq (local.get $k) (i32.const 1))
            (then (local.set $i (i32.add (local.get $i) (local.get $x)))))
          (local.set $s (i32.add (local.get $s)
            (i32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))))
      (br_if $l (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
    (local.get $s))
  ;; the bound is assigned after the index took its value (i = n; n = n / 2): the index
  ;; at the entry is the old n, above the loop's n
  (func (export "c_pre") (param $b i32) (param $n i32) (param $x i32) (result i32)
    (local $i i32) (local $s i32)
    (local.set $i (local.get $n))
    (local.set $n (i32.shr_u (local.get $n) (i32.const 1)))
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $s))
  ;; remat.py: $q = p + 3, set once, read in a loop that calls itself: each read is p + 3
  ;; again (WM_REMAT); the loads reach the memory's last byte, p + 3 wraps past 2^32
  (func $rm (export "rm") (param $p i32) (param $n i32) (param $d i32) (result i32)
    (local $q i32) (local $i i32) (local $s i32)
    (block $b
      (br_if $b (i32.eqz (local.get $n)))
      (local.set $q (i32.add (local.get $p) (i32.const 3)))
      (loop $l
        (local.set $s (i32.add (local.get $s)
                               (i32.load8_u (i32.add (local.get $q) (local.get $i)))))
        (if (local.get $d)
          (then (local.set $s (i32.xor (local.get $s)
            (call $rm (local.get $q) (i32.shr_u (local.get $n) (i32.const 1))
                      (i32.sub (local.get $d) (i32.const 1)))))))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                            (local.get $n))))
      (local.set $s (i32.add (local.get $s) (local.get $q))))
    (local.get $s))
  ;; ... read once more after the block the set is in: a branch skips the set (n == 0),
  ;; and that read is 0 there, not p + 3
  (func $rm_out (export "rm_out") (param $p i32) (param $n i32) (param $d i32) (result i32)
    (local $q i32) (local $i i32) (local $s i32)
    (block $b
      (br_if $b (i32.eqz (local.get $n)))
      (local.set $q (i32.add (local.get $p) (i32.const 3)))
      (loop $l
        (local.set $s (i32.add (local.get $s)
                               (i32.load8_u (i32.add (local.get $q) (local.get $i)))))
        (if (local.get $d)
          (then (local.set $s (i32.xor (local.get $s)
            (call $rm_out (local.get $q) (i32.shr_u (local.get $n) (i32.const 1))
                          (i32.sub (local.get $d) (i32.const 1)))))))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                            (local.get $n)))))
    (i32.add (local.get $s) (local.get $q)))
  ;; ... read in the loop before the set in its body: 0 in the first round
  (func $rm_before (export "rm_before") (param $p i32) (param $n i32) (param $d i32)
    (result i32)
    (local $q i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (local.get $q)))
      (local.set $q (i32.add (local.get $p) (i32.const 3)))
      (local.set $s (i32.add (local.get $s)
                             (i32.load8_u (i32.add (local.get $q) (local.get $i)))))
      (if (local.get $d)
        (then (local.set $s (i32.xor (local.get $s)
          (call $rm_before (local.get $q) (i32.shr_u (local.get $n) (i32.const 1))
                           (i32.sub (local.get $d) (i32.const 1)))))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $s))
;; paramfacts.py: a parameter's extent proved at every direct call of a function no
  ;; export, table or ref.func reaches. pf_e: the proved case, through a helper that passes
  ;; it on untouched and a constant caller (mem_min - v); each attack next to it has a call
  ;; that traps in the helper where a slightly wrong rule would leave it unchecked
  (func $pf_e1 (param $p i32) (param $x i32) (result i32)
    (i32.add (local.get $x) (call $pf_e2 (local.get $p))))
  (func $pf_e2 (param $p i32) (result i32)
    (i32.add (i32.load offset=4 (local.get $p)) (i32.load8_u offset=7 (local.get $p))))
  (func (export "pf_e") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (i32.store offset=4 (local.get $p) (local.get $x))
    (i32.add (call $pf_e1 (local.get $p) (local.get $y))
             (call $pf_e2 (i32.const 65528))))
  ;; a second caller proves nothing of the pointer it passes
  (func $pf_ah (param $p i32) (result i32) (i32.load offset=4 (local.get $p)))
  (func (export "pf_a1") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load offset=4 (local.get $p)))
    (call $pf_ah (local.get $p)))
  (func (export "pf_a2") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (call $pf_ah (local.get $p)))
  ;; callers that prove 8 and 16 bytes; the helper reads to 12
  (func $pf_bh (param $p i32) (result i32)
    (i32.add (i32.load offset=4 (local.get $p)) (i32.load offset=8 (local.get $p))))
  (func (export "pf_b") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load offset=4 (local.get $p)))
    (call $pf_bh (local.get $p)))
  (func (export "pf_b2") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load offset=12 (local.get $p)))
    (call $pf_bh (local.get $p)))
  ;; called directly with a proved pointer, and through the table with any
  (func $pf_ch (param $p i32) (param $x i32) (param $y i32) (result i32)
    (i32.load offset=4 (local.get $p)))
  (elem (i32.const 1) $pf_ch)
  (func (export "pf_c") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load offset=4 (local.get $p)))
    (call $pf_ch (local.get $p) (local.get $x) (local.get $y)))
  (func (export "pf_c_ind") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (call_indirect (type $t3) (local.get $p) (local.get $x) (local.get $y) (i32.const 1)))
  ;; recursion that passes the pointer on moved by 4, and the caller's pointer moved after
  ;; its proof
  (func $pf_dh (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    (local.set $s (i32.load (local.get $p)))
    (if (result i32) (local.get $n)
      (then (i32.add (local.get $s) (call $pf_dh (i32.add (local.get $p) (i32.const 4))
                                                (i32.sub (local.get $n) (i32.const 1)))))
      (else (local.get $s))))
  (func (export "pf_d") (param $p i32) (param $n i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (call $pf_dh (local.get $p) (local.get $n)))
  (func $pf_fh (param $p i32) (result i32) (i32.load (local.get $p)))
  (func (export "pf_f") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (local.set $p (local.get $x))
    (call $pf_fh (local.get $p)))
  ;; constants 8 and 6 bytes below mem_min (one page)
  (func $pf_kh (param $p i32) (result i32) (i32.load offset=4 (local.get $p)))
  (func (export "pf_k") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (if (result i32) (local.get $x)
      (then (call $pf_kh (i32.const 65530)))
      (else (call $pf_kh (i32.const 65528)))))
  ;; loops.py: `<`-style exit tests (Cond): a counter against a bound it does not move,
  ;; signed and unsigned, both directions, `<=`, through a local; the bound at INT_MAX,
  ;; INT_MIN and 0xffffffff, starts at or past it (one run), the last byte on the last run
  (func (export "iv_lts") (param $p i32) (param $i i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (i32.store8 offset=1 (local.get $p) (local.get $i))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $s))
  ;; the bound on the left: n >u i, i read after its update
  (func (export "iv_ltu") (param $p i32) (param $i i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (i32.gt_u (local.get $n)
                          (local.tee $i (i32.add (local.get $i) (i32.const 1))))))
    (local.get $s))
  ;; counting down while i >= n (signed): ~i <= ~n
  (func (export "iv_ges") (param $p i32) (param $i i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const -4)))
      (br_if $l (i32.ge_s (local.tee $i (i32.add (local.get $i) (i32.const -1)))
                          (local.get $n))))
    (local.get $s))
  ;; counting up while i <=u n (the bound 0xffffffff: always true, not counted)
  (func (export "iv_leu") (param $p i32) (param $i i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load16_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (br_if $l (i32.le_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $s))
  ;; sglib's partition shape: ok = i > n (the old i); i -= 1; br_if ok
  (func (export "iv_gts") (param $p i32) (param $i i32) (param $n i32) (result i32)
    (local $s i32) (local $ok i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (i32.store (i32.const 0x8004) (local.get $p))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const -4)))
      (local.set $ok (i32.gt_s (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const -1)))
      (br_if $l (local.get $ok)))
    (local.get $s))
  ;; a search leaving in the middle (a word equal to j: memory holds 0, so when j is 0),
  ;; three accesses (so the copy pays for its test: loopcost.py)
  (func (export "iv_find") (param $p i32) (param $j i32) (param $n i32) (result i32)
    (block $out
      (loop $l
        (i32.store (i32.const 0x8000) (local.get $j))  ;; where
        (br_if $out (i32.eq (i32.load (local.get $p)) (local.get $j)))
        (i32.store offset=4 (local.get $p) (i32.load8_u offset=2 (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const -4)))
        (local.set $j (i32.add (local.get $j) (i32.const -1)))
        (br_if $l (i32.gt_s (local.get $j) (local.get $n)))))
    (i32.add (local.get $j) (local.get $p)))
  ;; no access to range over: loopfuel.py's copy alone, on the count (a division by
  ;; i - x traps); against the largest bound `<=` always holds (not counted)
  (func (export "iv_lenf") (param $i i32) (param $n i32) (param $x i32) (result i32)
    (local $t i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $t (i32.add (local.get $t) (i32.div_u (i32.const 1)
                                             (i32.sub (local.get $i) (local.get $x)))))
      (br_if $l (i32.le_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $t))
  (func (export "iv_genf") (param $i i32) (param $n i32) (param $x i32) (result i32)
    (local $t i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $t (i32.add (local.get $t) (i32.div_u (i32.const 1)
                                             (i32.sub (local.get $i) (local.get $x)))))
      (br_if $l (i32.ge_s (local.tee $i (i32.add (local.get $i) (i32.const -1)))
                          (local.get $n))))
    (local.get $t))
  ;; the bound read before the body sets it (the first test sees n, the rest 100): refused
  (func (export "iv_bmove") (param $p i32) (param $i i32) (param $n i32) (result i32)
    (local $s i32) (local $ok i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $ok (i32.lt_s (local.get $i) (local.get $n)))
      (local.set $n (i32.const 100))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (local.get $ok)))
    (local.get $s))
  ;; dominated.py's union (rule 1), applied only to a call's return facts: two reads'
  ;; facts (p, 0) and (p, 12) are not joined (u_ret joins them through a call)
  (func (export "u_gap") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (drop (i32.load (i32.add (local.get $p) (i32.const 12))))
    (i32.add (i32.load offset=8 (local.get $p)) (i32.load offset=13 (local.get $p))))
  ;; ... two facts 64 KiB apart (a base near 2^32 whose sum wraps into the memory grown to
  ;; two pages; the second from a call): not joined (c2 - c1 >= 2^16), the read between
  ;; them stays checked
  (func (export "u_span") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (memory.grow (local.get $y)))
    (drop (i32.load (i32.add (local.get $p) (i32.const 16))))
    (drop (call $u_h (i32.add (local.get $p) (i32.const 0x10010)) (local.get $x)
                     (local.get $y)))
    (i32.load offset=0x8000 (i32.add (local.get $p) (i32.const 16))))
  ;; returnfacts.py (rule 2): $u_h reads *s on every path before it returns; its caller
  ;; passes p + 12 after reading p: p's offset=8 is proved, offset=13 is not
  (func $u_h (param $s i32) (param $x i32) (param $y i32) (result i32)
    (i32.load (local.get $s)))
  (elem (i32.const 2) $u_h $u_nh)
  (func $u_nh (param $s i32) (param $x i32) (param $y i32) (result i32) (local.get $x))
  (func (export "u_ret") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (drop (call $u_h (i32.add (local.get $p) (i32.const 12)) (local.get $x) (local.get $y)))
    (i32.add (i32.load offset=8 (local.get $p)) (i32.load offset=13 (local.get $p))))
  ;; ... the same callee through the table (slot y: 2 reads, 3 does not): nothing learnt
  (func (export "u_ind") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (drop (call_indirect (type $t3) (i32.add (local.get $p) (i32.const 12)) (local.get $x)
                         (local.get $y) (local.get $y)))
    (i32.load offset=8 (local.get $p)))
  ;; a callee that reads its parameter on one path only, one that returns (x = 1) or traps
  ;; (x = 2) before reading it
  (func $u_oneh (param $s i32) (param $x i32) (result i32)
    (if (result i32) (local.get $x) (then (i32.load (local.get $s))) (else (i32.const 0))))
  (func (export "u_one") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (drop (call $u_oneh (i32.add (local.get $p) (i32.const 12)) (local.get $x)))
    (i32.load offset=8 (local.get $p)))
  (func $u_earlyh (param $s i32) (param $x i32) (result i32)
    (if (i32.eq (local.get $x) (i32.const 1)) (then (return (i32.const 7))))
    (if (i32.eq (local.get $x) (i32.const 2)) (then (unreachable)))
    (i32.load (local.get $s)))
  (func (export "u_early") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (drop (call $u_earlyh (i32.add (local.get $p) (i32.const 12)) (local.get $x)))
    (i32.load offset=8 (local.get $p)))
  ;; the argument's local reassigned after the call, and (tee) before it: x's read proves
  ;; (p, 0) to 4 after the copy, the call proved p's old value + 12
  (func (export "u_moved") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $x)))
    (drop (call $u_h (i32.add (local.get $p) (i32.const 12)) (local.get $x) (local.get $y)))
    (local.set $p (local.get $x))
    (i32.load offset=8 (local.get $p)))
  (func (export "u_tee") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $x)))
    (drop (call $u_h (i32.add (local.get $p) (i32.const 12)) (local.tee $p (local.get $x))
                     (local.get $y)))
    (i32.load offset=8 (local.get $p)))
  ;; recursion: $u_rech reads s - 4n (n calls deep), never s itself when n > 0: an
  ;; optimistic start that did not iterate would take (s, 0) to 4 from its base case
  (func $u_rech (param $s i32) (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $u_rech (i32.sub (local.get $s) (i32.const 4))
                          (i32.sub (local.get $n) (i32.const 1))))
      (else (i32.load (local.get $s)))))
  (func (export "u_rec") (param $p i32) (param $n i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (drop (call $u_rech (i32.add (local.get $p) (i32.const 12)) (local.get $n)))
    (i32.load offset=8 (local.get $p)))
  ;; ... sglib's red-black insert: *s read first on every path, the recursive call on
  ;; t + 8 after reading t, then t's byte at 4 (proved by the call's own return facts)
  (func $u_insh (param $s i32) (param $n i32) (result i32)
    (local $t i32)
    (local.set $t (i32.load (local.get $s)))
    (if (result i32) (local.get $n)
      (then (drop (i32.load (local.get $t)))
            (drop (call $u_insh (i32.add (local.get $t) (i32.const 8))
                                (i32.sub (local.get $n) (i32.const 1))))
            (i32.load8_u offset=4 (local.get $t)))
      (else (local.get $t))))
  (func (export "u_ins") (param $p i32) (param $n i32) (param $y i32) (result i32)
    (i32.store (local.get $p) (local.get $y))
    (call $u_insh (local.get $p) (local.get $n)))
;; rt-review: attacks on this session's proofs that a slightly wrong version fails.
  ;; returnfacts.py: a callee that assigns its parameter on one path (x != 0) before the
  ;; read: its entry value is read on the other path only, so its call proves nothing
  (func $rt_armh (param $s i32) (param $x i32) (result i32)
    (if (local.get $x) (then (local.set $s (i32.const 0))))
    (i32.load (local.get $s)))
  (func (export "rt_arm") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (drop (call $rt_armh (i32.add (local.get $p) (i32.const 12)) (local.get $x)))
    (i32.load offset=8 (local.get $p)))
  ;; ... one that returns by br_table's default (x >= 2) before any read; x = 1 reads
  ;; s + 4 only
  (func $rt_bth (param $s i32) (param $x i32)
    (block $b
      (block $a
        (br_table $a $b 2 (local.get $x)))
      (drop (i32.load (local.get $s))))
    (drop (i32.load offset=4 (local.get $s))))
  (func (export "rt_brt") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load (local.get $p)))
    (call $rt_bth (i32.add (local.get $p) (i32.const 12)) (local.get $x))
    (i32.load offset=8 (local.get $p)))
  ;; paramfacts.py: called directly with a proved pointer, and (y != 0) through the table
  ;; from a global's ref.func (escaping only through the global's initialiser)
  (func $rt_gh (param $p i32) (param $x i32) (param $y i32) (result i32)
    (i32.load offset=4 (local.get $p)))
  (global $rt_g funcref (ref.func $rt_gh))
  (func (export "rt_glob") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load offset=4 (local.get $p)))
    (if (local.get $y)
      (then (table.set 0 (i32.const 3) (global.get $rt_g))
            (return (call_indirect (type $t3) (local.get $x) (local.get $x) (local.get $x)
                                   (i32.const 3)))))
    (call $rt_gh (local.get $p) (local.get $x) (local.get $y)))
  ;; ... a chain of helpers moving the pointer by 4 then 2: the caller proves 9 bytes,
  ;; $rt_c2 5 (its byte at 4 unchecked), $rt_c3 3, short of its word
  (func $rt_c1 (param $p i32) (result i32)
    (call $rt_c2 (i32.add (local.get $p) (i32.const 4))))
  (func $rt_c2 (param $p i32) (result i32)
    (i32.add (i32.load8_u offset=4 (local.get $p))
             (call $rt_c3 (i32.add (local.get $p) (i32.const 2)))))
  (func $rt_c3 (param $p i32) (result i32) (i32.load (local.get $p)))
  (func (export "rt_chain") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (drop (i32.load8_u offset=8 (local.get $p)))
    (call $rt_c1 (local.get $p)))
  ;; dominated.py: a copy d = p - 16 (0xfffffff0): d's offset 16 is p's address only when
  ;; d + 16 does not pass 2^32 (the offset is added without wrapping: p < 16 traps)
  (func (export "rt_wrap") (param $p i32) (param $x i32) (param $y i32) (result i32)
    (local $d i32)
    (drop (i32.load (local.get $p)))
    (local.set $d (i32.add (local.get $p) (i32.const 0xfffffff0)))
    (i32.load offset=16 (local.get $d)))
  ;; loops.py: i falling while i >=u n: ~i <=u ~n; n = 0 always holds (~n the largest
  ;; value: not counted), the pointer runs below 0
  (func (export "rt_geu") (param $p i32) (param $i i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (i32.store (i32.const 0x8000) (local.get $i))  ;; where
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const -4)))
      (br_if $l (i32.ge_u (local.tee $i (i32.add (local.get $i) (i32.const -1)))
                          (local.get $n))))
    (local.get $s))
  ;; a hash of the whole memory (the device run compares it after every call)
  (func (export "checksum") (param i32 i32 i32) (result i32) (local $i i32) (local $h i32)
    (loop $l
      (local.set $h (i32.add (i32.mul (local.get $h) (i32.const 31)) (i32.load (local.get $i))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                          (i32.shl (memory.size) (i32.const 16)))))
    (local.get $h))
)
