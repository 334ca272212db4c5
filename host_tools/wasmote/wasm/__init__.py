"""WebAssembly 2.0 (no SIMD) binary toolkit: read, validate, write, inspect, strip."""
