//! The expiry timestamp parser: any text gives a time or None; a parsed time formats to
//! text that parses back to the same instant.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Some(t) = credguard::aws::expiry::parse(s) {
        let text = credguard::aws::expiry::format(t);
        let back = credguard::aws::expiry::parse(&text).expect("formatted expiry parses");
        // format keeps whole seconds
        assert_eq!(back.unix_timestamp(), t.unix_timestamp(), "{s:?} → {text:?}");
        let _ = credguard_client::rules::short_duration((t - back).whole_seconds());
    }
});
