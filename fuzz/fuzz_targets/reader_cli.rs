//! The `cli` reader (aws/readers/cli.rs): arbitrary bytes as a config file and as a
//! credentials file (the input split at the first NUL byte) parse and yield a profile's
//! credentials, never a panic or a hang; the canonical JSON always serialises.
#![no_main]

use credguard::aws::locate::FileKind;
use credguard::aws::readers::Reader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (config, credentials) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let reader = Reader::Cli;
    let config = reader.parse(FileKind::Config, config);
    let credentials = reader.parse(FileKind::Credentials, credentials);
    for name in config.profiles.keys().chain(credentials.profiles.keys()) {
        let _ = reader.credentials(&config, &credentials, name);
    }
    let _ = config.canonical(true);
    let _ = credentials.canonical(false);
});
