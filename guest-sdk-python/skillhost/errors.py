"""The errors an ability raises, one per WIT `error` variant.

The host reports each to the agent as a distinct category, so pick the one
that tells the caller what to do next. Any other exception an ability raises
is reported as `failed` with its message.

    >>> str(InvalidInput("`city` must not be empty"))
    '`city` must not be empty'
"""


class SkillError(Exception):
    """Base of the three errors; `message` is what the agent sees."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(SkillError):
    """The input was unusable; fixing the input fixes the call."""


class Failed(SkillError):
    """The ability ran and failed."""


class Denied(SkillError):
    """The sandbox refused something the ability needed."""
