"""Reading JSON that came over the broker: every field checked for type and range, a clear
MessageRejected otherwise. Gateways and operators use it for each other's messages (a
compromised gateway or broker may send anything)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from wasmote.fleet.errors import MessageRejected

MAX_DOC = 64 * 1024


def canonical(doc: dict[str, Any]) -> bytes:
    """One encoding per content: sorted keys, no spaces, UTF-8."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Doc:
    """A JSON object's fields, taken one by one with checks; `done()` refuses leftovers."""

    def __init__(self, data: bytes | dict[str, Any], what: str) -> None:
        self.what = what
        if isinstance(data, dict):
            doc: Any = data
        else:
            if len(data) > MAX_DOC:
                raise MessageRejected(f"{what}: {len(data)} bytes, more than {MAX_DOC}")
            try:
                doc = json.loads(data)
            except (UnicodeDecodeError, ValueError, RecursionError):
                raise MessageRejected(f"{what}: not JSON") from None
        if not isinstance(doc, dict):
            raise MessageRejected(f"{what}: not a JSON object")
        self._doc: dict[str, Any] = dict(doc)

    def _take(self, key: str, default: Any) -> Any:
        if key not in self._doc:
            if default is _REQUIRED:
                raise MessageRejected(f"{self.what}: missing {key!r}")
            return default
        return self._doc.pop(key)

    def fail(self, key: str, why: str) -> MessageRejected:
        return MessageRejected(f"{self.what}: {key} {why}")

    def text(self, key: str, check: Callable[[str], bool] | None = None, default: Any = None,
            max_len: int = 256, allow_empty: bool = False) -> str:
        """`check` applies to a non-empty value; "" passes only with `allow_empty`."""
        v = self._take(key, _REQUIRED if default is None else default)
        ok = isinstance(v, str) and len(v) <= max_len and (
            (v == "" and allow_empty) or (v != "" and (check is None or check(v))))
        if not ok:
            raise self.fail(key, f"is not a valid string: {v!r:.60}")
        return str(v)

    def integer(self, key: str, lo: int, hi: int, default: int | None = None) -> int:
        v = self._take(key, _REQUIRED if default is None else default)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise self.fail(key, f"must be an integer {lo}..{hi}, got {v!r:.40}")
        return v

    def number(self, key: str, lo: float, hi: float, default: float | None = None) -> float:
        v = self._take(key, _REQUIRED if default is None else default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            raise self.fail(key, f"must be a number {lo:g}..{hi:g}, got {v!r:.40}")
        return float(v)

    def flag(self, key: str, default: bool | None = None) -> bool:
        v = self._take(key, _REQUIRED if default is None else default)
        if not isinstance(v, bool):
            raise self.fail(key, f"must be true or false, got {v!r:.40}")
        return v

    def texts(self, key: str, check: Callable[[str], bool], max_items: int,
             default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        v = self._take(key, _REQUIRED if default is None else list(default))
        if not isinstance(v, list) or len(v) > max_items or \
                not all(isinstance(x, str) and check(x) for x in v):
            raise self.fail(key, f"must be a list of at most {max_items} valid strings")
        return tuple(v)

    def objects(self, key: str, max_items: int) -> list[dict[str, Any]]:
        v = self._take(key, [])
        if not isinstance(v, list) or len(v) > max_items or \
                not all(isinstance(x, dict) for x in v):
            raise self.fail(key, f"must be a list of at most {max_items} objects")
        return v

    def done(self) -> None:
        if self._doc:
            raise MessageRejected(f"{self.what}: unknown field {sorted(self._doc)[0]!r}")


_REQUIRED = object()
