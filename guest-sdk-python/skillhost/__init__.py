"""Write skillhost skills as plain typed Python functions.

A skill is a WebAssembly component built by componentize-py from the
skill's `app.py`. With this package its author writes one ordinary function
per ability, marked `@ability`; the SDK derives the ability list with JSON
Schemas from the type hints, decodes input, encodes output and provides the
component export.

    from dataclasses import dataclass
    from skillhost import ability

    @dataclass
    class Greeting:
        message: str

    @ability
    def greet(name: str) -> Greeting:
        "Greets someone by name."
        return Greeting(f"Hello, {name}!")

Everything a skill touches beyond its input goes through the host and is
limited to what `skill.toml` declares and the operator grants: `http` (only
in skills that declare `network`; `from skillhost import http`), `secret`,
`config`, `session` and `log`.
"""
# Modules are snapshotted at build time: without the idna codec in the
# component, any socket name lookup fails as "unknown encoding: idna" instead
# of reaching the host's (refusing) sockets.
import encodings.idna  # noqa: F401

from . import _bindings, log, session
from ._registry import Json, ability
from .errors import Denied, Failed, InvalidInput, SkillError

__all__ = [
    "ability", "Json", "secret", "config", "session", "log",
    "SkillError", "InvalidInput", "Failed", "Denied",
]


def secret(name: str) -> str:
    """Returns the secret `name`; raises `Denied` unless the manifest declares
    it and the operator supplied it. Never log the value."""
    try:
        return _bindings.host.secret(name)
    except _bindings.Err as e:
        raise Denied(str(e.value)) from None


def config(key: str) -> "str | None":
    """Returns the configuration value `key` set for this skill (by the
    operator or the agent's assignment), or `None`."""
    return _bindings.host.config(key)
