//! The cache readers: credguard's verdict cache and the `aws login` cache. A corrupt,
//! truncated or hostile file is an error (naming a field, never echoing a value) or another
//! version, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = credguard::validate::cache::parse_entries(data);
    if let Err(why) = credguard::aws::login::parse(data) {
        assert!(!why.is_empty());
    }
});
