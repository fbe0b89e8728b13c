//! An instruction ability's template (seed 002's ```` ```fetch ```` block
//! with placeholders and their operands): `Instruction::parse`, its
//! parameters and input schema, then `Instruction::render` for an input.
//!
//! Input: the template, then optionally a NUL and the input as JSON (an
//! object); without one, each parameter gets a string.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use skillhost::ability::instruction::Instruction;

fuzz_target!(|data: &[u8]| {
    let (template, input) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let Ok(template) = std::str::from_utf8(template) else {
        return;
    };
    let Ok(instruction) = Instruction::parse(template) else {
        return;
    };
    let parameters = instruction.parameters();
    let _ = instruction.input_schema();
    let input: Map<String, Value> = match input {
        Some(bytes) => match serde_json::from_slice(bytes) {
            Ok(map) => map,
            Err(_) => return,
        },
        None => parameters
            .iter()
            .map(|p| (p.name.clone(), Value::String("v a/l\"u'e".into())))
            .collect(),
    };
    let mut secrets = |name: &str| Some(format!("secret-{name}-value"));
    let _ = instruction.render(&input, &mut secrets);
});
