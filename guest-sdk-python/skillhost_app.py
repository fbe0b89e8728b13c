"""The module componentize-py builds: imports the skill's `app` (which
registers its abilities with `@ability`) and exposes the export class.

This runs at build time; an ability the SDK cannot describe fails the build.
"""
import app  # noqa: F401  (the skill; registers abilities on import)
from skillhost._export import Abilities  # noqa: F401  (the component export)
