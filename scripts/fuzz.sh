#!/usr/bin/env bash
# Fuzz everything that reads outside input (libFuzzer through cargo-fuzz, nightly):
#   proto_decode  the socket protocol (requests, responses, frames)
#   expiry_parse  expiry timestamps
#   files_parse   config + credentials files through the scanner, the SDK parser and
#                 every offline check, then the text and JSON renderers
#   cache_read    the verdict cache file and the `aws login` cache file
#   reader_cli, reader_sdk, reader_js
#                 the three readers of the files (AWS CLI, Rust SDK, JS SDK)
# Corpora are seeded from the fixtures (the SDKs' conformance cases, the protocol's own
# messages, the timestamp forms the tests use) into fuzz/corpus/ (not committed).
#   bash scripts/fuzz.sh          # 20 s per target (the CI smoke run)
#   bash scripts/fuzz.sh 600      # a longer run; prints executions per target
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-20}"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz: installing the nightly toolchain (libFuzzer needs -Z flags)"
    rustup toolchain install nightly --profile minimal </dev/null
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked </dev/null
fi

corpus=fuzz/corpus
mkdir -p "$corpus"/{proto_decode,expiry_parse,files_parse,cache_read,reader_cli,reader_sdk,reader_js,reader_env}
python3 - "$corpus" <<'PY'
import json, os, sys, hashlib
out = sys.argv[1]
def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)
shared = os.path.join("..", "shared", "conformance")
cases = json.load(open(os.path.join(shared, "profile-parser-tests.json")))["tests"]
for t in cases:
    i = t.get("input", {})
    put("files_parse", i.get("configFile", "") + "\0" + i.get("credentialsFile", ""))
# the chain cases: their profiles written as a config file
for t in json.load(open(os.path.join(shared, "assume-role-tests.json"))):
    profiles = t.get("input", {}).get("profiles", {})
    text = ""
    for name, props in profiles.items():
        text += ("[default]\n" if name == "default" else f"[profile {name}]\n")
        for k, v in props.items():
            text += f"{k} = {v}\n"
    put("files_parse", text + "\0")
put("files_parse", "[profile sso]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n[sso-session s]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n\0[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\u200b\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\naws_session_token = x\naws_expiration = 2026-11-22T10:00:00Z\n")
put("files_parse", "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = a\n[profile a]\nsource_profile = role\ncredential_process = /bin/false\n\0")
for ts in ["2026-11-22T10:00:00Z", "2026-11-22T10:00:00.123456Z", "2026-11-22T10:00:00+01:00",
           "2026-11-22 10:00:00 UTC", "2026-11-22T10:00:00+0000", "2026-11-22T10:00:00", "\"2026-11-22T10:00:00Z\""]:
    put("expiry_parse", ts)
for p in ["v=1\nt=ping\n", "v=1\nt=prompt\nprofile=dev\nascii=1\n", "v=1\nt=status\njson=1\n",
          "v=1\nt=doctor\nprofile=a%0Ab\n", "v=1\nt=check\nfresh=1\noffline=0\njson=1\n",
          "v=1\nt=badge\ntext=aws:prod ✗ invalid key\nstate=invalid\n",
          "v=1\nt=text\nbody=line%0Aline\nexit_code=2\n", "v=1\nt=pong\ndaemon_version=0.1.0\n",
          "v=1\nt=version-mismatch\ndaemon_protocol=1\n", "v=1\nt=error\nmessage=x\n"]:
    put("proto_decode", p)
    put("proto_decode", len(p.encode()).to_bytes(4, "big") + p.encode())
put("cache_read", '{"version":1,"entries":{}}')
put("cache_read", '{"version":1,"entries":{"ab":{"fresh_until":1,"state":"ok"}}}')
put("cache_read", '{"version":99}')
put("cache_read", json.dumps({"accessToken": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "s", "sessionToken": "t",
    "accountId": "123456789012", "expiresAt": "2026-11-22T10:00:00Z"}, "tokenType": "aws_sigv4",
    "refreshToken": "r", "clientId": "arn:aws:signin:::devtools/same-device", "dpopKey": "k"}))
# the environment cases of issue 17: key, secret, token, legacy token, AWS_PROFILE,
# AWS_DEFAULT_PROFILE (NUL between; one 0xff byte: set but empty), then a credentials file
files = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n[dev]\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\naws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n"
for env in [["ASIAIOSFODNN7EXAMPLE", "s", "", "tok", "", ""], ["AKIAIOSFODNN7EXAMPLE", "\xff", "", "", "", ""],
            ["ASIAIOSFODNN7EXAMPLE", "s", "tok\n", "", "", ""], ["", "", "", "", "", "dev"],
            ["AKIAIOSFODNN7EXAMPLE", "s", "", "", "dev", "nope"]]:
    parts = [v.encode("latin-1") for v in env]
    put("reader_env", b"\0".join(parts) + b"\0" + files.encode())
PY
# the three readers start from the same files (config NUL credentials)
for r in reader_cli reader_sdk reader_js; do
    cp -n "$corpus"/files_parse/* "$corpus/$r/" 2>/dev/null || true
done

cd fuzz
cargo +nightly fuzz build -O --debug-assertions
status=0
for t in proto_decode expiry_parse files_parse cache_read reader_cli reader_sdk reader_js reader_env; do
    log="$(mktemp)"
    if cargo +nightly fuzz run -O --debug-assertions "$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1; then
        execs="$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')"
        echo "fuzz: $t: ${execs:-?} executions in ${SECONDS_PER_TARGET} s, no crash"
    else
        echo "fuzz: $t FAILED; its input is in fuzz/artifacts/$t/" >&2
        tail -40 "$log" >&2
        status=1
    fi
    rm -f "$log"
done
exit "$status"
