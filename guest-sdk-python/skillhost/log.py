"""Structured logging into the host's log.

Records are tagged by the host with the skill and invocation id; keyword
arguments become fields (values turned into text). Never log secret values.

    from skillhost import log
    log.info("fetched forecast", city="Oslo", days=3)
"""
from . import _bindings


def _emit(level: str, message: str, fields: dict) -> None:
    host = _bindings.host
    pairs = [(str(k), str(v)) for k, v in fields.items()]
    host.log(getattr(host.LogLevel, level), message, pairs)


def trace(message: str, **fields) -> None:
    """Logs at trace level."""
    _emit("TRACE", message, fields)


def debug(message: str, **fields) -> None:
    """Logs at debug level."""
    _emit("DEBUG", message, fields)


def info(message: str, **fields) -> None:
    """Logs at info level."""
    _emit("INFO", message, fields)


def warn(message: str, **fields) -> None:
    """Logs at warn level."""
    _emit("WARN", message, fields)


def error(message: str, **fields) -> None:
    """Logs at error level."""
    _emit("ERROR", message, fields)
