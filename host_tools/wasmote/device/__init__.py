"""Talking to a wasmote device over a byte stream: framing, transports, the client."""
