//! An opaque paging cursor from a query string (`?cursor=…`), as the skill
//! list (3 parts) and the audit log (2 parts) decode it:
//! `server::cursor::decode`, through `server::fuzz_decode_cursor`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cursor) = std::str::from_utf8(data) {
        skillhost::server::fuzz_decode_cursor(cursor);
    }
});
