;; Declares a memory of at most 1024 pages (64 MiB): refused under a smaller resources.limits.memory.
(module
  (memory (export "memory") 1 1024)
  (func (export "_start")))
