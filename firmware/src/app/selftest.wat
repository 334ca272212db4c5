;; The firmware's built-in self-test module: a little of everything the interpreter does,
;; run on every boot. firmware/src/app/selftest_wasm.h is generated from this file (with the
;; expected results computed by wasmtime): `python -m wasmote.firmware gen-selftest`.
(module
  (memory 1)
  (data (i32.const 16) "wasmote\00")

  ;; i32: mul/div/rem/shifts/rotates/bit counts, including a signed overflow wrap
  (func (export "i32_arith") (result i32)
    (i32.xor
      (i32.add
        (i32.mul (i32.const 123456) (i32.const 789))
        (i32.div_s (i32.const -100) (i32.const 7)))
      (i32.add
        (i32.rotl (i32.const 0x80000001) (i32.const 3))
        (i32.add
          (i32.add (i32.clz (i32.const 0x00f00000)) (i32.popcnt (i32.const 0xff00ff)))
          (i32.add (i32.rem_u (i32.const -1) (i32.const 1000))
                   (i32.mul (i32.const 0x7fffffff) (i32.const 3)))))))

  ;; i64: the 64-bit multiply/divide helpers a 32-bit core needs from libgcc
  (func (export "i64_arith") (result i64)
    (i64.add
      (i64.div_u (i64.const -1) (i64.const 1000003))
      (i64.sub
        (i64.mul (i64.const 0x123456789) (i64.const 0x0abcdef1))
        (i64.add (i64.rem_s (i64.const -9223372036854775807) (i64.const 97))
                 (i64.shr_s (i64.const -1099511627776) (i64.const 13))))))

  ;; a loop with a back-edge: sum of 1..n
  (func (export "loop_sum") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; calls: naive recursive Fibonacci
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  ;; f32: arithmetic, sqrt, rounding, min with -0
  (func (export "f32_math") (result f32)
    (f32.add
      (f32.mul (f32.sqrt (f32.const 2)) (f32.const 1.5))
      (f32.add
        (f32.div (f32.nearest (f32.const 2.5)) (f32.const 3))
        (f32.add (f32.min (f32.const -0) (f32.const 0))
                 (f32.floor (f32.const -1.25))))))

  ;; f64 and conversions: pi by a short series, truncations and int->float
  (func (export "f64_math") (result f64)
    (local $i i32) (local $s f64)
    (local.set $i (i32.const 0))
    (loop $l
      (local.set $s (f64.add (local.get $s)
        (f64.div
          (f64.convert_i32_s (select (i32.const 4) (i32.const -4)
                                     (i32.eqz (i32.and (local.get $i) (i32.const 1)))))
          (f64.convert_i32_u (i32.add (i32.mul (local.get $i) (i32.const 2)) (i32.const 1))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 200))))
    (f64.add
      (local.get $s)
      (f64.add
        (f64.convert_i64_s (i64.trunc_f64_s (f64.const -12345.75)))
        (f64.promote_f32 (f32.demote_f64 (f64.sqrt (f64.const 3)))))))

  ;; memory: unaligned stores and loads of every width, sign extension, data segment
  (func (export "memory") (result i64)
    (i64.store offset=1 (i32.const 100) (i64.const 0x0102030405060708))
    (i32.store16 (i32.const 203) (i32.const 0xbeef))
    (i32.store8 (i32.const 205) (i32.const 0x80))
    (f64.store (i32.const 301) (f64.const -2.5))
    (i64.add
      (i64.add
        (i64.load offset=1 (i32.const 100))
        (i64.extend_i32_u (i32.load16_u (i32.const 203))))
      (i64.add
        (i64.add (i64.load8_s (i32.const 205)) (i64.load (i32.const 301)))
        (i64.add (i64.load32_u (i32.const 16))
                 (i64.extend_i32_s (memory.grow (i32.const 1)))))))
)
