;; Calls of functions that call, in every convention the AOT code uses for the fuel slice:
;; returning nothing or one i32 (the slice as an argument and back in a return register,
;; the entry charged by the caller with the call), returning an i64 (the slice in the
;; context), each called directly, recursively and through the table (the dispatcher and
;; the entries charge the entry themselves), beside a leaf and a flat leaf.
(module
  (type $t3 (func (param i32 i32 i32) (result i32)))
  (type $tv (func (param i32)))
  (memory 1)
  (table 4 funcref)
  (elem (i32.const 0) $tree $walk $wide $bump)
  ;; a flat leaf (no loops): entry and return charged at the call
  (func $bump (param $x i32)
    (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (local.get $x))))
  ;; a leaf with a loop
  (func $spin (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  ;; recursive, three parameters, one i32 result, directly and through the table
  (func $tree (param $d i32) (param $a i32) (param $b i32) (result i32)
    (if (result i32) (i32.le_s (local.get $d) (i32.const 0))
      (then (call $bump (i32.const 1)) (i32.add (local.get $a) (call $spin (local.get $b))))
      (else
        (i32.add
          (call $tree (i32.sub (local.get $d) (i32.const 1)) (local.get $b) (local.get $a))
          (call_indirect (type $t3) (i32.sub (local.get $d) (i32.const 2))
                         (i32.add (local.get $a) (i32.const 3)) (local.get $b)
                         (i32.const 0))))))
  ;; nothing returned, calls directly and through the table
  (func $walk (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (call $bump (call $tree (i32.and (local.get $n) (i32.const 3)) (local.get $n)
                                (i32.const 2)))
        (call_indirect (type $tv) (local.get $n) (i32.const 3))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
  ;; an i64 result: the slice goes through the context
  (func $wide (param $n i32) (result i64)
    (call $walk (local.get $n))
    (i64.extend_i32_u (call $tree (i32.const 3) (local.get $n) (i32.const 1))))
  (func (export "run") (param $n i32) (result i32)
    (call_indirect (type $tv) (local.get $n) (i32.const 1))
    (i32.add (i32.wrap_i64 (call $wide (local.get $n)))
             (i32.load (i32.const 16)))))
