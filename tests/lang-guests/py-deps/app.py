"""A skill that uses a package from requirements.txt."""
from text_unidecode import unidecode

from skillhost import ability


@ability
def ascii(text: str) -> str:
    """Transliterates a text to ASCII."""
    return unidecode(text)
