;; The module a hand-written native payload (tests/supervisor/hostile_aot.py) claims to be
;; compiled from: the wasm is harmless, the native code behind each export is not.
(module
  (memory 1)
  (func (export "peek") (param i32) (result i32) (i32.const 0))   ;; reads an absolute address
  (func (export "poke") (param i32 i32))                          ;; writes one
  (func (export "jump") (param i32))                              ;; calls one
  (func (export "smash") (param i32))                             ;; moves its SP there and waits
  (func (export "svc"))                                           ;; a supervisor call of its own
  (func (export "ok") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "spin"))                                          ;; loops, never checks fuel
)
