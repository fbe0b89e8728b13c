"""JSON Schemas from type hints, and JSON values into the hinted types.

Runs at build time (componentize-py imports the skill while building), so a
type the SDK cannot describe fails the build, never a call.

Supported: `str`, `int`, `float`, `bool`, `None`, `list[T]`, `dict` /
`dict[str, T]`, `Optional[T]` / `T | None`, `Literal[...]`, `enum.Enum`
subclasses, dataclasses, `TypedDict`s, `typing.Any` (any JSON), and
`Annotated[T, "description"]`. Nested dataclasses and TypedDicts are inlined;
recursive ones are refused, as are unions of several non-`None` types,
tuples, sets, bytes and any other class.

The host validates input against the schema before the guest runs, so
`to_python` only converts (dataclasses, enums, int to float); it checks
nothing.
"""
import dataclasses
import enum
import json
import types
import typing

_PRIMITIVES = {str: "string", int: "integer", float: "number", bool: "boolean"}


# Markers on a TypedDict's fields (`__required_keys__` already says which).
_WRAPPERS = (typing.Required, typing.NotRequired)


class SchemaError(TypeError):
    """A type hint the SDK cannot turn into a JSON Schema."""


def _is_typeddict(tp) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def is_record(tp) -> bool:
    """A dataclass or TypedDict class: usable as an ability's whole input."""
    return (isinstance(tp, type) and dataclasses.is_dataclass(tp)) or _is_typeddict(tp)


def _split_optional(tp):
    """`(T, True)` for `Optional[T]`, else `(tp, False)`."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != len(typing.get_args(tp)):
            if len(args) == 1:
                return args[0], True
            return typing.Union[tuple(args)], True
    return tp, False


def _description(tp):
    """`(T, "text")` for `Annotated[T, "text", ...]`, else `(tp, None)`;
    also unwraps a TypedDict's `Required[T]` / `NotRequired[T]`."""
    while typing.get_origin(tp) in _WRAPPERS:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) is typing.Annotated:
        base, *meta = typing.get_args(tp)
        text = next((m for m in meta if isinstance(m, str)), None)
        return base, text
    return tp, None


def schema_of(tp, where: str, _seen=()) -> dict:
    """The JSON Schema of type hint `tp`; `where` names it in errors."""
    tp, text = _description(tp)
    schema = _schema(tp, where, _seen)
    if text:
        schema = {**schema, "description": text}
    return schema


def _schema(tp, where, seen) -> dict:
    if tp is typing.Any or tp is object:
        return {}
    if tp is type(None) or tp is None:
        return {"type": "null"}
    if tp in _PRIMITIVES:
        return {"type": _PRIMITIVES[tp]}
    inner, optional = _split_optional(tp)
    if optional:
        return {"anyOf": [schema_of(inner, where, seen), {"type": "null"}]}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        kinds = {_PRIMITIVES.get(type(a)) for a in args}
        if None in kinds:
            raise SchemaError(f"{where}: Literal values must be str, int, float or bool")
        schema = {"enum": list(args)}
        if len(kinds) == 1:
            schema["type"] = kinds.pop()
        return schema
    if tp is list or origin is list:
        item = args[0] if args else typing.Any
        return {"type": "array", "items": schema_of(item, f"{where}[]", seen)}
    if tp is dict or origin is dict:
        if args and args[0] is not str:
            raise SchemaError(f"{where}: JSON object keys are strings; use dict[str, T]")
        value = args[1] if args else typing.Any
        return {"type": "object", "additionalProperties": schema_of(value, f"{where}{{}}", seen)}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        kinds = {_PRIMITIVES.get(type(v)) for v in values}
        if None in kinds:
            raise SchemaError(f"{where}: enum {tp.__name__} values must be str, int, float or bool")
        schema = {"enum": values}
        if len(kinds) == 1:
            schema["type"] = kinds.pop()
        return schema
    if is_record(tp):
        if tp in seen:
            raise SchemaError(f"{where}: {tp.__name__} refers to itself; recursive inputs are not supported")
        return record_schema(tp, where, seen + (tp,))
    if origin is typing.Union or origin is types.UnionType:
        raise SchemaError(f"{where}: unions other than Optional[T] are not supported ({tp!r})")
    raise SchemaError(
        f"{where}: {tp!r} has no JSON Schema; use str, int, float, bool, list, dict, "
        "Optional, Literal, Enum, a dataclass or a TypedDict"
    )


def _hints(tp) -> dict:
    try:
        return typing.get_type_hints(tp, include_extras=True)
    except NameError as e:
        raise SchemaError(f"{tp.__name__}: cannot resolve a type hint ({e})") from None


def record_schema(tp, where, seen=()) -> dict:
    """The object schema of a dataclass or TypedDict."""
    hints = _hints(tp)
    properties, required = {}, []
    if dataclasses.is_dataclass(tp):
        for f in dataclasses.fields(tp):
            if not f.init:
                continue
            prop = schema_of(hints[f.name], f"{where}.{f.name}", seen)
            if "description" in f.metadata:
                prop["description"] = f.metadata["description"]
            if f.default is not dataclasses.MISSING:
                _add_default(prop, f.default)
            elif f.default_factory is dataclasses.MISSING:
                required.append(f.name)
            properties[f.name] = prop
    else:
        for name, hint in hints.items():
            properties[name] = schema_of(hint, f"{where}.{name}", seen)
        required = [n for n in hints if n in tp.__required_keys__]
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    doc = _own_doc(tp)
    if doc:
        schema["description"] = doc
    return schema


def _own_doc(tp):
    """The class's docstring, unless it is the one dataclass generates."""
    doc = tp.__doc__
    if not doc or (dataclasses.is_dataclass(tp) and doc.startswith(tp.__name__ + "(")):
        return None
    return " ".join(doc.split())


def _add_default(schema: dict, value) -> None:
    """Records a JSON-serialisable default; other defaults are left out."""
    if isinstance(value, enum.Enum):
        value = value.value
    try:
        json.dumps(value)
    except TypeError:
        return
    schema["default"] = value


def to_python(value, tp):
    """Converts validated JSON `value` into type hint `tp`."""
    tp, _ = _description(tp)
    if value is None:
        return None
    inner, optional = _split_optional(tp)
    if optional:
        return to_python(value, inner)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is float:
        return float(value)
    if tp is int and isinstance(value, float):
        return int(value)  # JSON Schema counts 2.0 as an integer
    if origin is list and args:
        return [to_python(v, args[0]) for v in value]
    if origin is dict and len(args) == 2:
        return {k: to_python(v, args[1]) for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return tp(**{k: to_python(v, hints[k]) for k, v in value.items()})
    if _is_typeddict(tp):
        hints = _hints(tp)
        return {k: to_python(v, hints[k]) for k, v in value.items()}
    return value


def to_json(value) -> str:
    """Serialises an ability's result: dataclasses as objects, enums as values."""
    return json.dumps(value, default=_encode, ensure_ascii=False, separators=(",", ":"))


def _encode(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
