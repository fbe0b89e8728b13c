"""The component export: `skillhost:skill/abilities` over the registry.

componentize-py looks for a class named `Abilities` in the app module;
`skillhost_app` (the module the build names) re-exports this one.
"""
import traceback

from wit_world import exports

from . import _registry, log
from ._bindings import Err, skill_types
from .errors import Denied, Failed, InvalidInput

_VARIANTS = {
    InvalidInput: skill_types.Error_InvalidInput,
    Failed: skill_types.Error_Failed,
    Denied: skill_types.Error_Denied,
}


class Abilities(exports.Abilities):
    """Lists and runs the abilities registered with `@ability`."""

    def describe(self):
        return [skill_types.Ability(n, d, s) for n, d, s in _registry.described()]

    def invoke(self, name: str, input: str):
        try:
            kind, text = _registry.invoke(name, input)
        except (InvalidInput, Failed, Denied) as e:
            if e.__cause__ is not None:
                # Internal detail goes to the host's log, never to the agent.
                log.debug(
                    "ability raised",
                    ability=name,
                    traceback="".join(traceback.format_exception(e.__cause__)),
                )
            raise Err(_VARIANTS[type(e)](e.message)) from None
        if kind == "text":
            return skill_types.Output_Text(text)
        return skill_types.Output_Json(text)
