//! Session state across calls: a counter and a list of notes.
use serde::{Deserialize, Serialize};
use skillhost_sdk::{Error, Json, JsonSchema, session};

/// Input of `add_note`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// The note's text.
    pub text: String,
}

/// The state of the scratchpad.
#[derive(Serialize)]
pub struct Pad {
    pub count: u64,
    pub notes: Vec<String>,
}

fn notes() -> Result<Vec<String>, Error> {
    Ok(session::get_json("notes")?.unwrap_or_default())
}

#[skillhost_sdk::skill]
mod abilities {
    use super::*;

    /// Adds one to this session's counter and returns the new value.
    pub fn increment() -> Result<Json<u64>, Error> {
        let count = session::get_json::<u64>("count")?.unwrap_or(0) + 1;
        session::set_json("count", &count)?;
        Ok(Json(count))
    }

    /// Appends a note to this session's list and returns how many there are.
    pub fn add_note(input: Note) -> Result<Json<usize>, Error> {
        let mut notes = notes()?;
        notes.push(input.text);
        session::set_json("notes", &notes)?;
        Ok(Json(notes.len()))
    }

    /// Returns this session's counter and notes.
    pub fn show() -> Result<Json<Pad>, Error> {
        Ok(Json(Pad {
            count: session::get_json("count")?.unwrap_or(0),
            notes: notes()?,
        }))
    }

    /// Clears this session's counter and notes.
    pub fn clear() -> &'static str {
        session::delete("count");
        session::delete("notes");
        "cleared"
    }
}
