"""Session state: bytes by key, kept by the host across the calls that carry
the same session id, and invisible to every other session.

    from skillhost import session
    visits = session.get_json("visits", 0)
    session.set_json("visits", visits + 1)
"""
import json

from . import _bindings
from ._schema import to_json
from .errors import Failed

_MISSING = object()


def get(key: str) -> "bytes | None":
    """Reads `key`; `None` when unset or when the call has no session."""
    return _bindings.host.session_get(key)


def set(key: str, value: bytes) -> None:
    """Stores `value` under `key`; raises `Failed` when the call has no
    session or the host refuses the size."""
    try:
        _bindings.host.session_set(key, bytes(value))
    except _bindings.Err as e:
        raise Failed(str(e.value)) from None


def delete(key: str) -> None:
    """Removes `key`; removing a missing key is not an error."""
    _bindings.host.session_delete(key)


def get_json(key: str, default=None):
    """Reads `key` as JSON; `default` when unset."""
    raw = get(key)
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except ValueError as e:
        raise Failed(f"session key `{key}` is not JSON: {e}") from None


def set_json(key: str, value) -> None:
    """Stores `value` under `key` as JSON (dataclasses and enums included)."""
    set(key, to_json(value).encode())
