// The js reader's environment oracle: the JS SDK v3's default credential chain
// (@aws-sdk/credential-provider-node's defaultProvider). stdin: one JSON object per line,
// an environment (name -> value) to read; HOME and the files' variables come from this
// process. stdout: one JSON line per case, [key id, secret, token] or {"error": message}.
// The instance-metadata provider is disabled: nothing is sent anywhere.
"use strict";
const { defaultProvider } = require("@aws-sdk/credential-provider-node");
const readline = require("readline");

const KEEP = ["HOME", "PATH", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"];
const base = Object.fromEntries(KEEP.filter((k) => k in process.env).map((k) => [k, process.env[k]]));
base.AWS_EC2_METADATA_DISABLED = "true";
console.warn = () => {}; // the chain's "Multiple credential sources" warning is not an answer

async function main() {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const env = JSON.parse(line);
    for (const k of Object.keys(process.env)) delete process.env[k];
    Object.assign(process.env, base, env);
    let out;
    try {
      const c = await defaultProvider({ ignoreCache: true })();
      out = [c.accessKeyId, c.secretAccessKey, c.sessionToken ?? null];
    } catch (e) {
      out = { error: String(e && e.message) };
    }
    process.stdout.write(JSON.stringify(out) + "\n");
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack) + "\n");
  process.exit(2);
});
