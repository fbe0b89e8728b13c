"""The `@ability` decorator, the list of abilities, and dispatch of a call.

Pure Python: no bindings here, so it runs (and is tested) outside wasm too.
"""
import dataclasses
import inspect
import json
import re
import sys
import typing

from . import _schema
from .errors import Failed, InvalidInput, SkillError

# The host's rule for ability names (manifest.rs `is_ability_name`).
_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")


class Json:
    """Wraps a value so an ability returns it as JSON even when it is a `str`.

    >>> Json("hi").value
    'hi'
    """

    def __init__(self, value):
        self.value = value


@dataclasses.dataclass
class _Ability:
    name: str
    description: str
    schema: dict
    call: typing.Callable[[dict], typing.Any]


_abilities: "dict[str, _Ability]" = {}


def ability(fn=None, *, name: "str | None" = None):
    """Registers `fn` as an ability and returns it unchanged.

    The name is the function's (or `name=`), the description its docstring,
    the input schema comes from its type hints: either one parameter typed
    as a dataclass or TypedDict (the whole input), or keyword fields of an
    object, each parameter one field, optional when it has a default.

        @ability
        def greet(name: str, excited: bool = False) -> str:
            "Greets someone by name."
            return f"Hello, {name}{'!' if excited else '.'}"

    An `async def` ability runs on the `wasi:io/poll` event loop of
    `skillhost.http` (so only in skills that declare `network`), where it may
    await `http.request_async` calls concurrently.
    """
    if fn is None:
        return lambda f: ability(f, name=name)
    _register(fn, name or fn.__name__)
    return fn


def _register(fn, name: str) -> None:
    where = f"ability `{name}`"
    if not _NAME.match(name):
        raise ValueError(f"{where}: a name is 1-64 lowercase letters, digits, `_` or `-`")
    if name in _abilities:
        raise ValueError(f"{where} is defined twice")
    description = inspect.getdoc(fn)
    if not description:
        raise ValueError(f"{where}: add a docstring; it is the description agents read")
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except NameError as e:
        raise _schema.SchemaError(f"{where}: cannot resolve a type hint ({e})") from None
    params = list(inspect.signature(fn).parameters.values())
    for p in params:
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            raise _schema.SchemaError(f"{where}: parameter `{p.name}` must be a plain or keyword-only parameter")
        if p.name not in hints:
            raise _schema.SchemaError(f"{where}: parameter `{p.name}` needs a type hint")
    if len(params) == 1 and _schema.is_record(_schema._description(hints[params[0].name])[0]):
        hint = hints[params[0].name]
        schema = _schema.schema_of(hint, where)
        call = lambda value: fn(_schema.to_python(value, hint))  # noqa: E731
    else:
        schema = _keyword_schema(params, hints, where)
        call = lambda value: fn(**{k: _schema.to_python(v, hints[k]) for k, v in value.items()})  # noqa: E731
    _abilities[name] = _Ability(name, description, schema, call)


def _keyword_schema(params, hints, where) -> dict:
    properties, required = {}, []
    for p in params:
        prop = _schema.schema_of(hints[p.name], f"{where}: parameter `{p.name}`")
        if p.default is inspect.Parameter.empty:
            required.append(p.name)
        else:
            _schema._add_default(prop, p.default)
        properties[p.name] = prop
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _run_async(coroutine):
    """Runs an `async def` ability on the `wasi:io/poll` event loop, which
    exists only in the skill-http world."""
    http = sys.modules.get("skillhost.http")
    if http is None:
        coroutine.close()
        raise Failed("an async ability needs `from skillhost import http` (and a declared network)")
    return http.run(coroutine)


def described() -> "list[tuple[str, str, str]]":
    """`(name, description, input schema as JSON text)` of each ability."""
    return [(a.name, a.description, json.dumps(a.schema)) for a in _abilities.values()]


def invoke(name: str, input_json: str) -> "tuple[str, str]":
    """Runs ability `name`: `("text", …)` or `("json", …)`, or raises a `SkillError`."""
    found = _abilities.get(name)
    if found is None:
        raise InvalidInput(f"this skill has no ability named `{name}`")
    try:
        value = json.loads(input_json)
    except ValueError as e:
        raise InvalidInput(f"input is not JSON: {e}") from None
    try:
        result = found.call(value)
        if inspect.iscoroutine(result):
            result = _run_async(result)
    except SkillError:
        raise
    except Exception as e:  # any other exception is the ability failing
        raise Failed(str(e) or type(e).__name__) from e
    if isinstance(result, str):
        return "text", result
    if isinstance(result, Json):
        result = result.value
    try:
        return "json", _schema.to_json(result)
    except (TypeError, ValueError) as e:
        raise Failed(f"ability `{name}` returned a value that is not JSON: {e}") from None
