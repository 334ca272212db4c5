"""Module packages: manifests, capabilities, the `.wmp` container, keys and signatures.

docs/module-format.md describes the formats byte for byte; docs/security.md the model.
"""
