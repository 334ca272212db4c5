"""Test and benchmark harness: code that drives the product from the outside (the posix
device over TCP, the spec-suite runner and its AOT transport, link fault injectors). It is
not part of the shipped `wasmote` package, which never imports it (tests/test_architecture.py);
bench/ imports it as it imports the rest of tests/."""
