//! Seeded, reproducible random files for the readers' differential test: real-looking
//! profile files mutated with comments, whitespace of every Unicode kind, duplicates,
//! header variants, continuation lines, line ends and BOMs.

/// splitmix64: tiny, seedable, the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Real files (and the divergences of issue 17) the mutations start from.
pub const SEEDS: &[&str] = &[
    "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    "[default]\nregion = eu-west-1\noutput = json\n\n[profile dev]\nregion = us-east-1\nsource_profile = default\nrole_arn = arn:aws:iam::123456789012:role/dev\n",
    "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
    "[tmp]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\naws_session_token = IQoJb3JpZ2luX2VjEXAMPLE==\n",
    "[default]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\nregion = eu-west-1\n",
    "# my keys\n[default] ; main\naws_access_key_id=AKIAIOSFODNN7EXAMPLE # old\naws_secret_access_key: secret\n\n[profile \"qa\"]\nregion=eu-central-1\n",
    "[ default ]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n[default]\naws_secret_access_key = x\naws_security_token = tok\n",
    "[default]\r\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\r\n  ; indented comment\r\n\taws_secret_access_key = s\r\naws_session_token =\r\n",
    "[services dev]\nsts =\n  endpoint_url = http://127.0.0.1:5000\n[profile a]\nservices = dev\nendpoint_url = http://localhost\n",
];

const SPACES: &[&str] = &[
    " ", "\t", "\u{a0}", "\u{2028}", "\u{2029}", "\u{3000}", "\u{2003}", "\u{200b}", "\u{feff}",
    "\u{85}", "\u{b}", "\u{c}", "\u{1c}", "\u{1f}", "\u{202f}", "\u{205f}", "\u{1680}", "\u{180e}",
    "  ",
];
const ENDS: &[&str] = &["\n", "\r\n", "\r"];
const KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "region",
    "Region",
    "AWS_ACCESS_KEY_ID",
    "s3",
    "source_profile",
];
const HEADERS: &[&str] = &[
    "[default]",
    "[ default ]",
    "[profile default]",
    "[profile \"qa\"]",
    "[profile 'qa']",
    "[profile qa]",
    "[profile  qa ]",
    "[profile qa",
    "[profile a b]",
    "[profile \"a b\"]",
    "[DEFAULT]",
    "[]",
    "[profile]",
    "[profile.x]",
    "[sso-session s]",
    "[services s]",
    "[qa]",
    "[profile \"qa]",
    "[x] # c",
    "[ profile qa ]",
    "[profile\tqa]",
    "[foo bar]",
    "[profile a\\ b]",
];
const COMMENTS: &[&str] = &["# c", "; c", "#", ";x", " # note", "\t; n", "#[default]"];
const VALUES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "",
    "a # b",
    "a;b",
    "a ; b",
    "x=y",
    "a:b",
    "\"quoted\"",
    "é☃",
    "tok==",
    "  spaced  ",
];

/// One mutation of `text`, line-wise.
fn mutate_once(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let at = rng.below(lines.len() + 1);
    match rng.below(12) {
        0 => lines.insert(at, rng.pick(COMMENTS).to_string()),
        1 => {
            let i = rng.below(lines.len());
            let c = rng.pick(COMMENTS);
            lines[i].push_str(c);
        }
        2 | 3 => {
            // a whitespace character at a random place in a random line
            let i = rng.below(lines.len());
            let chars: Vec<char> = lines[i].chars().collect();
            let pos = rng.below(chars.len() + 1);
            let s = rng.pick(SPACES);
            let mut l: String = chars[..pos].iter().collect();
            l.push_str(s);
            l.extend(&chars[pos..]);
            lines[i] = l;
        }
        4 => {
            let i = rng.below(lines.len());
            let dup = lines[i].clone();
            lines.insert(at.min(lines.len()), dup);
        }
        5 => lines.insert(at, rng.pick(HEADERS).to_string()),
        6 => {
            let (k, v) = (rng.pick(KEYS), rng.pick(VALUES));
            let delim = *rng.pick(&["=", " = ", ":", " : ", "\u{a0}=", "= ", " ="]);
            lines.insert(at, format!("{k}{delim}{v}"));
        }
        7 => {
            let indent = rng.pick(SPACES);
            let (k, v) = (rng.pick(KEYS), rng.pick(VALUES));
            lines.insert(at, format!("{indent}{k} = {v}"));
        }
        8 => lines.insert(at, String::new()),
        9 => {
            let i = rng.below(lines.len());
            lines.remove(i);
        }
        10 => {
            let i = rng.below(lines.len());
            lines[i] = lines[i].to_uppercase();
        }
        _ => {
            let i = rng.below(lines.len());
            let indent = rng.pick(SPACES);
            lines[i] = format!("{indent}{}", lines[i]);
        }
    }
    lines.join("\n")
}

/// A generated file: a seed file, a few mutations, then its line ends and maybe a BOM.
pub fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut text = rng.pick(SEEDS).to_string();
    for _ in 0..1 + rng.below(6) {
        text = mutate_once(rng, &text);
    }
    let end = *rng.pick(ENDS);
    let mut text = if end == "\n" || rng.below(3) == 0 {
        text
    } else {
        text.replace('\n', end)
    };
    if rng.below(12) == 0 {
        text.insert(0, '\u{feff}');
    }
    let mut bytes = text.into_bytes();
    if rng.below(40) == 0 {
        let i = rng.below(bytes.len() + 1);
        bytes.insert(i, 0xff); // invalid UTF-8
    }
    bytes
}
