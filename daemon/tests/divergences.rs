//! The 17 divergences of issue 17, one fixture each: which readers break on it. A reader
//! "works" when it takes exactly the key id, secret and token the user meant; `affects`
//! lists the readers that do not. The `cli` and `js` readings are proved equal to botocore
//! and the JS SDK's parser by `tests/readers.rs` (these files are in its corpus).
#![allow(clippy::unwrap_used)]

use credguard::aws::locate::FileKind;
use credguard::aws::readers::{Reader, Taken};

pub struct Case {
    pub name: &'static str,
    pub profile: &'static str,
    pub config: &'static str,
    pub credentials: &'static str,
    /// Temporary credentials: the token the user meant.
    pub token: bool,
    pub affects: &'static [&'static str],
}

const K: &str = "AKIAIOSFODNN7EXAMPLE";
const T: &str = "ASIAIOSFODNN7EXAMPLE";
const S: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOK: &str = "IQoJb3JpZ2luX2VjEXAMPLE";

macro_rules! creds {
    ($($l:expr),*) => { concat!($($l, "\n"),*) };
}

pub const CASES: &[Case] = &[
    Case {
        name: "inline # comment",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE # work",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        token: false,
        affects: &["cli"],
    },
    Case {
        name: "inline ; comment",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ; rotated"
        ),
        token: false,
        affects: &["cli"],
    },
    Case {
        name: "duplicate [default]",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "[default]",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        token: false,
        affects: &["cli"],
    },
    Case {
        name: "duplicate key",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id = AKIAOLDOLDOLDEXAMPLE",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        token: false,
        affects: &["cli"],
    },
    Case {
        name: "[ default ] with spaces",
        profile: "default",
        config: "",
        credentials: creds!(
            "[ default ]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        token: false,
        affects: &["cli", "js"],
    },
    Case {
        name: "[profile default] and [default]",
        profile: "default",
        config: creds!(
            "[profile default]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "[default]",
            "aws_access_key_id = AKIAOLDOLDOLDEXAMPLE",
            "aws_secret_access_key = old"
        ),
        credentials: "",
        token: false,
        affects: &["cli"],
    },
    Case {
        name: "ASIA key here, token in config",
        profile: "default",
        config: creds!("[default]", "aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE"),
        credentials: creds!(
            "[default]",
            "aws_access_key_id = ASIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        token: true,
        affects: &["cli"],
    },
    Case {
        name: "key id and secret in different files",
        profile: "default",
        config: creds!(
            "[default]",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        credentials: creds!("[default]", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
        token: false,
        affects: &["cli"],
    },
    Case {
        name: "NBSP after a value",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\u{a0}",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        token: false,
        affects: &["sdk"],
    },
    Case {
        name: "U+2028 after a value",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\u{2028}"
        ),
        token: false,
        affects: &["sdk"],
    },
    Case {
        name: "indented comment line",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "  # rotated 2024",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        token: false,
        affects: &["sdk"],
    },
    Case {
        name: "tab-indented properties",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "\taws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "\taws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        token: false,
        affects: &["sdk"],
    },
    Case {
        name: "empty aws_session_token =",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_session_token ="
        ),
        token: false,
        affects: &["sdk"],
    },
    Case {
        name: "[profile \"qa\"]",
        profile: "qa",
        config: creds!(
            "[profile \"qa\"]",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        credentials: "",
        token: false,
        affects: &["sdk"],
    },
    Case {
        name: "aws_security_token",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id = ASIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_security_token = IQoJb3JpZ2luX2VjEXAMPLE"
        ),
        token: true,
        affects: &["sdk", "js"],
    },
    Case {
        name: "CR-only line ends",
        profile: "default",
        config: "",
        credentials: "[default]\raws_access_key_id = AKIAIOSFODNN7EXAMPLE\raws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\r",
        token: false,
        affects: &["sdk", "js"],
    },
    Case {
        name: "NBSP before =",
        profile: "default",
        config: "",
        credentials: creds!(
            "[default]",
            "aws_access_key_id\u{a0}= AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        token: false,
        affects: &["sdk"],
    },
];

/// Does `reader` take exactly the credentials the case means?
fn works(reader: Reader, case: &Case) -> bool {
    let config = reader.parse(FileKind::Config, case.config.as_bytes());
    let credentials = reader.parse(FileKind::Credentials, case.credentials.as_bytes());
    let Taken::Creds(c) = reader.credentials(&config, &credentials, case.profile) else {
        return false;
    };
    let value = |f: &Option<credguard::aws::readers::Found>| f.as_ref().map(|f| f.value.clone());
    let key = if case.token { T } else { K };
    value(&c.key_id).as_deref() == Some(key)
        && value(&c.secret).as_deref() == Some(S)
        && value(&c.token).as_deref() == case.token.then_some(TOK)
}

#[test]
fn each_divergence_breaks_exactly_the_readers_it_names() {
    assert_eq!(CASES.len(), 17);
    let mut wrong = Vec::new();
    for case in CASES {
        let broken: Vec<&str> = Reader::ALL
            .into_iter()
            .filter(|r| !works(*r, case))
            .map(Reader::as_str)
            .collect();
        if broken != case.affects {
            wrong.push(format!(
                "{}: breaks {broken:?}, expected {:?}",
                case.name, case.affects
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
