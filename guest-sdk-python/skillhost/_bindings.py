"""The one place that imports the bindings componentize-py generates.

Both build worlds rename `skillhost:skill/types` to `skill_types`
(`--import-interface-name`), so these names are the same with and without
HTTP. The import happens at first attribute access (the export does it at
build time), so the pure-Python parts of the SDK (schemas, dispatch) import
and test without the bindings.
"""


def __getattr__(name):
    if name == "Err":
        from componentize_py_types import Err

        return Err
    if name in ("host", "skill_types"):
        from wit_world.imports import host, skill_types

        return {"host": host, "skill_types": skill_types}[name]
    raise AttributeError(name)
