"""Where a trap happened: the wasm call stack a device reports, read back to function
names and source lines from the unstripped module kept beside the package."""
