;; Imports a function no WASI runtime provides: it can never be instantiated.
(module
  (import "env" "podsmith_missing" (func $missing))
  (memory (export "memory") 1)
  (func (export "_start") (call $missing)))
