;; A loop that leaves in the middle while its bases move (an insertion sort's inner step,
;; as clang emits it: huffbench). $v holds the loaded word and then the byte pointer, a
;; local assigned twice per iteration. loops.py checks the range the counter allows (every
;; iteration until $i reaches -1) once before the loop; the exit only runs fewer of them.
(module
  (memory 1)
  ;; every word 0xFFFFFFFF (greater than any key) except a 0 at $at
  (func (export "prep") (param $at i32)
    (memory.fill (i32.const 0) (i32.const 0xFF) (i32.const 65536))
    (i32.store (local.get $at) (i32.const 0)))
  ;; while w[i] > key: w[i + 1] = w[i]; b[i + 1] = b[i]; i--   (down to i = -1)
  (func (export "shift") (param $w i32) (param $b i32) (param $i i32) (param $key i32)
    (result i32) (local $p i32) (local $v i32)
    (local.set $p (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 2))))
    (block $found
      (loop $l
        (br_if $found (i32.le_u (local.tee $v (i32.load (local.get $p))) (local.get $key)))
        (i32.store (i32.add (local.get $p) (i32.const 4)) (local.get $v))
        (i32.store8 (i32.add (local.tee $v (i32.add (local.get $b) (local.get $i)))
                             (i32.const 1))
                    (i32.load8_u (local.get $v)))
        (local.set $p (i32.add (local.get $p) (i32.const -4)))
        (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const -1)))
                          (i32.const -1)))))
    (local.get $i))
  (func (export "ok") (result i32) (i32.const 42)))
