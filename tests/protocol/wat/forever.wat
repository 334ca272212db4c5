;; A background module that never ends on its own.
(module
  (func (export "_start") (loop $l (br $l))))
