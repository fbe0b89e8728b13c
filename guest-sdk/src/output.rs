//! What an ability returns.
use crate::Error;
use serde::Serialize;

/// An ability's successful output: text as it is, or a JSON document.
///
/// ```
/// use skillhost_sdk::Output;
/// assert_eq!(Output::Text("hi".into()), Output::Text(String::from("hi")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Plain text.
    Text(String),
    /// Serialised JSON.
    Json(String),
}

/// Wraps any serialisable value so an ability returns it as JSON.
///
/// ```
/// use skillhost_sdk::{IntoAbilityResult, Json, Output};
/// let out = Json(vec![1, 2, 3]).into_ability_result().unwrap();
/// assert_eq!(out, Output::Json("[1,2,3]".into()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

/// What an ability function may return: a `String`, `&str`,
/// `serde_json::Value`, [`Json`] or [`Output`], or a `Result` of one of those
/// with an error convertible into [`Error`].
///
/// ```
/// use skillhost_sdk::{Error, IntoAbilityResult, Output};
/// let ok: Result<String, Error> = Ok("done".into());
/// assert_eq!(ok.into_ability_result().unwrap(), Output::Text("done".into()));
/// ```
pub trait IntoAbilityResult {
    /// Converts into the output or the error the host reports.
    fn into_ability_result(self) -> Result<Output, Error>;
}

impl IntoAbilityResult for Output {
    fn into_ability_result(self) -> Result<Output, Error> {
        Ok(self)
    }
}

impl IntoAbilityResult for String {
    fn into_ability_result(self) -> Result<Output, Error> {
        Ok(Output::Text(self))
    }
}

impl IntoAbilityResult for &str {
    fn into_ability_result(self) -> Result<Output, Error> {
        Ok(Output::Text(self.to_owned()))
    }
}

impl IntoAbilityResult for serde_json::Value {
    fn into_ability_result(self) -> Result<Output, Error> {
        Ok(Output::Json(serde_json::to_string(&self)?))
    }
}

impl<T: Serialize> IntoAbilityResult for Json<T> {
    fn into_ability_result(self) -> Result<Output, Error> {
        Ok(Output::Json(serde_json::to_string(&self.0)?))
    }
}

impl<T: IntoAbilityResult, E: Into<Error>> IntoAbilityResult for Result<T, E> {
    fn into_ability_result(self) -> Result<Output, Error> {
        self.map_err(Into::into)?.into_ability_result()
    }
}
