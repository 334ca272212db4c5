;; Never sleeps, never yields: only preemption at the end of its fuel slice stops it.
(module
  (global $n (mut i64) (i64.const 0))
  (func (export "_start")
    (loop $l
      (global.set $n (i64.add (global.get $n) (i64.const 1)))
      (br $l))))
