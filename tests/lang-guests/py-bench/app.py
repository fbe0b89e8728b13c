"""The invoke bench's Python skill: the same word count as text-tools'."""
from skillhost import ability


@ability
def word_count(text: str) -> dict:
    """Counts the words, lines, characters and bytes of a text."""
    return {
        "words": len(text.split()),
        "lines": len(text.splitlines()),
        "characters": len(text),
        "bytes": len(text.encode()),
    }


@ability
def noop() -> str:
    """Does nothing."""
    return "ok"
