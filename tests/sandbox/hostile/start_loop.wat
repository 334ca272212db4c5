;; A start function that never returns: it would run at instantiation without fuel.
(module
  (func $spin (loop $l (br $l)))
  (start $spin))
