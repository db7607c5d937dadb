// The js reader's oracle: @smithy/shared-ini-file-loader's loadSharedConfigFiles reads each
// file named on stdin. Each stdin line is `config<TAB>path` or `credentials<TAB>path`; each
// stdout line is that file's parse as JSON: {"error": null, "profiles": {name: {key: value}}}
// (the loader never fails: a file it cannot parse reads as {}).
"use strict";
const { loadSharedConfigFiles } = require("@smithy/shared-ini-file-loader");
const readline = require("readline");

const MISSING = "/nonexistent/credguard-oracle";

async function main() {
  const out = [];
  for await (const request of readline.createInterface({ input: process.stdin })) {
    const [kind, path] = request.split("\t");
    const files = await loadSharedConfigFiles({
      filepath: kind === "credentials" ? path : MISSING,
      configFilepath: kind === "config" ? path : MISSING,
      ignoreCache: true,
    });
    const profiles = kind === "config" ? files.configFile : files.credentialsFile;
    out.push(JSON.stringify({ error: null, profiles }));
  }
  process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack) + "\n");
  process.exit(2);
});
