//! The verdict cache reader: a corrupt, truncated or hostile cache file is an error or
//! another version, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = credguard::cache::parse_entries(data);
});
