"""Unit tests of the pure-Python parts (schemas, conversion, dispatch).

They need no bindings and no wasm: `cd guest-sdk-python && python3 -m unittest`
(Python 3.11 or newer).
"""
import dataclasses
import enum
import json
import typing
import unittest
from typing import Annotated, Any, Literal, Optional, TypedDict

from skillhost import Denied, Failed, InvalidInput, Json, _registry, ability
from skillhost._schema import SchemaError


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


@dataclasses.dataclass
class Shape:
    """A named polygon."""

    name: Annotated[str, "What to call it."]
    points: list[Point]
    closed: bool = True


class Filter(TypedDict, total=False):
    tag: str
    limit: int


class Page(TypedDict):
    cursor: typing.NotRequired[str]
    size: Annotated[int, "Items per page."]


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Loop:
    next: Optional["Loop"]


def fresh(test):
    """Runs `test` with an empty registry."""

    def run(self):
        saved = dict(_registry._abilities)
        _registry._abilities.clear()
        try:
            test(self)
        finally:
            _registry._abilities.clear()
            _registry._abilities.update(saved)

    return run


def schema(name):
    return json.loads(next(s for n, _, s in _registry.described() if n == name))


class Schemas(unittest.TestCase):
    @fresh
    def test_keyword_parameters_make_an_object(self):
        @ability
        def f(text: str, count: int = 3, tags: list[str] = [], mode: Literal["a", "b"] = "a",
              note: Annotated[Optional[str], "A note."] = None, extra: dict = {}, anything: Any = None):
            "Doc."

        self.assertEqual(schema("f"), {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "count": {"type": "integer", "default": 3},
                "tags": {"type": "array", "items": {"type": "string"}, "default": []},
                "mode": {"enum": ["a", "b"], "type": "string", "default": "a"},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "A note.",
                         "default": None},
                "extra": {"type": "object", "additionalProperties": {}, "default": {}},
                "anything": {"default": None},
            },
            "required": ["text"],
            "additionalProperties": False,
        })

    @fresh
    def test_a_single_dataclass_is_the_whole_input(self):
        @ability
        def draw(shape: Shape) -> str:
            "Draws."
            return f"{shape.name}:{shape.points[0].x!r}"

        s = schema("draw")
        self.assertEqual(s["required"], ["name", "points"])
        self.assertEqual(s["description"], "A named polygon.")
        self.assertEqual(s["properties"]["points"]["items"]["required"], ["x"])
        self.assertEqual(_registry.invoke("draw", '{"name": "t", "points": [{"x": 1}]}'), ("text", "t:1.0"))

    @fresh
    def test_typeddict_and_enum(self):
        @ability
        def q(f: Filter) -> dict:
            "Query."
            return dict(f)

        @ability
        def paint(colour: Colour) -> Colour:
            "Paint."
            return colour

        self.assertEqual(schema("q")["properties"], {"tag": {"type": "string"}, "limit": {"type": "integer"}})
        self.assertNotIn("required", schema("q"))

        @ability
        def page(p: Page) -> dict:
            "Page."
            return dict(p)

        self.assertEqual(schema("page")["required"], ["size"])
        self.assertEqual(schema("page")["properties"]["cursor"], {"type": "string"})
        self.assertEqual(_registry.invoke("page", '{"size": 2.0}'), ("json", '{"size":2}'))
        self.assertEqual(schema("paint")["properties"]["colour"], {"enum": ["red", "blue"], "type": "string"})
        self.assertEqual(_registry.invoke("paint", '{"colour": "red"}'), ("json", '"red"'))

    @fresh
    def test_refusals(self):
        with self.assertRaisesRegex(ValueError, "docstring"):
            @ability
            def nodoc(x: int):
                pass
        with self.assertRaisesRegex(SchemaError, "needs a type hint"):
            @ability
            def nohint(x):
                "Doc."
        with self.assertRaisesRegex(SchemaError, "unions other than Optional"):
            @ability
            def union(x: typing.Union[int, str]):
                "Doc."
        with self.assertRaisesRegex(SchemaError, "has no JSON Schema"):
            @ability
            def raw(x: bytes):
                "Doc."
        with self.assertRaisesRegex(SchemaError, "refers to itself"):
            @ability
            def loop(x: Loop):
                "Doc."
        with self.assertRaisesRegex(SchemaError, "plain or keyword-only"):
            @ability
            def star(*args: int):
                "Doc."
        with self.assertRaisesRegex(ValueError, "lowercase"):
            @ability(name="Bad Name")
            def bad():
                "Doc."

        @ability
        def once():
            "Doc."

        with self.assertRaisesRegex(ValueError, "defined twice"):
            ability(once)


class Dispatch(unittest.TestCase):
    @fresh
    def test_outputs(self):
        @ability
        def text() -> str:
            "T."
            return "hi"

        @ability
        def point() -> Point:
            "P."
            return Point(1.5)

        @ability
        def forced() -> Json:
            "J."
            return Json("hi")

        self.assertEqual(_registry.invoke("text", "{}"), ("text", "hi"))
        self.assertEqual(_registry.invoke("point", "{}"), ("json", '{"x":1.5,"y":0.0}'))
        self.assertEqual(_registry.invoke("forced", "{}"), ("json", '"hi"'))

    @fresh
    def test_errors(self):
        @ability
        def boom(kind: str):
            "Raises."
            raise {"i": InvalidInput("bad"), "d": Denied("no"), "f": Failed("x"), "k": KeyError("k"),
                   "z": ZeroDivisionError()}[kind]

        @ability
        def unserialisable():
            "Returns bytes."
            return b"x"

        for kind, error, message in [("i", InvalidInput, "bad"), ("d", Denied, "no"), ("f", Failed, "x"),
                                     ("k", Failed, "'k'"), ("z", Failed, "ZeroDivisionError")]:
            with self.assertRaises(error) as caught:
                _registry.invoke("boom", json.dumps({"kind": kind}))
            self.assertEqual(caught.exception.message, message)
        with self.assertRaisesRegex(InvalidInput, "no ability named `nope`"):
            _registry.invoke("nope", "{}")
        with self.assertRaisesRegex(Failed, "not JSON"):
            _registry.invoke("unserialisable", "{}")


if __name__ == "__main__":
    unittest.main()
