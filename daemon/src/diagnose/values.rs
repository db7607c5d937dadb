//! Checks on one credential value, independent of where it came from. The rules
//! themselves (hidden characters, key shapes) are the client library's
//! [`credguard_client::rules`], shared with the prompt; this names the field and the code.

use crate::verdict::Code;
use credguard_client::rules;

/// Which credential field a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    KeyId,
    Secret,
    Token,
}

/// A key id or secret that is not one (judged without its hidden characters, which are
/// reported on their own).
pub fn format_issue(field: Field, value: &str) -> Option<(Code, String)> {
    let clean = rules::without_hidden(value);
    match field {
        Field::KeyId => rules::key_id_problem(&clean).map(|m| (Code::MalformedKeyId, m)),
        Field::Secret => rules::secret_problem(&clean).map(|m| (Code::MalformedSecret, m)),
        Field::Token => None,
    }
}
