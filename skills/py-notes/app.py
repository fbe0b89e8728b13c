"""py-notes: a per-session notebook kept in session state."""
from dataclasses import dataclass, field
from typing import Annotated, Literal, Optional

from skillhost import InvalidInput, ability, config, log, session

Priority = Literal["low", "normal", "high"]


@dataclass
class NewNote:
    """A note to add."""

    text: Annotated[str, "The note's text."]
    tags: Annotated[list[str], "Tags to find the note by later."] = field(default_factory=list)
    priority: Priority = "normal"


@dataclass
class Note:
    id: int
    text: str
    tags: list[str]
    priority: Priority


def _load() -> list[Note]:
    return [Note(**n) for n in session.get_json("notes", [])]


def _save(notes: list[Note]) -> None:
    session.set_json("notes", notes)


@ability
def add(note: NewNote) -> Note:
    """Adds a note to this session's notebook and returns it with its id."""
    notes = _load()
    added = Note(max((n.id for n in notes), default=0) + 1, note.text, note.tags, note.priority)
    _save(notes + [added])
    log.info("note added", id=added.id, tags=len(added.tags))
    return added


@ability
def find(
    tag: Annotated[Optional[str], "Only notes with this tag."] = None,
    priority: Optional[Priority] = None,
    limit: Annotated[int, "The most notes to return."] = 20,
) -> list[Note]:
    """Returns this session's notes, newest first, optionally only those with a tag or a priority."""
    notes = [
        n for n in reversed(_load())
        if (tag is None or tag in n.tags) and (priority is None or n.priority == priority)
    ]
    return notes[:limit]


@ability
def remove(id: int) -> str:
    """Removes the note with this id."""
    notes = _load()
    kept = [n for n in notes if n.id != id]
    if len(kept) == len(notes):
        raise InvalidInput(f"there is no note {id}; `find` lists the ids")
    _save(kept)
    return f"removed note {id}"


@ability
def render() -> str:
    """Renders this session's notes as a Markdown list, high priority first, under the configured title."""
    title = config("title") or "Notes"
    order = {"high": 0, "normal": 1, "low": 2}
    notes = sorted(_load(), key=lambda n: (order[n.priority], n.id))
    lines = [f"# {title}", ""]
    for n in notes:
        tags = "".join(f" #{t}" for t in n.tags)
        mark = "**" if n.priority == "high" else ""
        lines.append(f"- {mark}{n.text}{mark}{tags} ({n.id})")
    if not notes:
        lines.append("_no notes yet_")
    return "\n".join(lines)


@ability
def clear() -> str:
    """Deletes every note of this session."""
    session.delete("notes")
    return "cleared"
