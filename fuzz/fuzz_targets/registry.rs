//! What an MCP registry answers (a hostile upstream): a server's latest
//! version or a page of servers (`sources::registry::server`/`search`,
//! through `registry::fuzz_answer`), then the remote the host picks
//! (`choose_remote`) with the variables given.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    skillhost::sources::registry::fuzz_answer(data);
});
