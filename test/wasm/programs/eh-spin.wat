;; Spins forever inside a try block. The metering rewriter does not know exception handling, so this module
;; runs under CPU-time accounting instead of fuel.
(module
  (tag $never)
  (memory (export "memory") 1)
  (func (export "_start")
    (try (do (loop $forever (br $forever))) (catch $never))))
