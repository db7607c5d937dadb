"""The cli reader's environment oracle: botocore's own credential chain.

stdin: one JSON object per line, an environment (name -> value) to read; HOME and the
files' variables come from this process's environment. stdout: one JSON line per case,
the credentials botocore resolves ([key id, secret, token]) or {"error": message}.
Nothing is sent anywhere: resolving credentials reads only the environment and the files
(the instance-metadata provider is disabled)."""
import json
import os
import sys

import botocore.session

KEEP = {"HOME", "PATH", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}
base = {k: v for k, v in os.environ.items() if k in KEEP}
base["AWS_EC2_METADATA_DISABLED"] = "true"

for line in sys.stdin:
    case = json.loads(line)
    os.environ.clear()
    os.environ.update(base)
    os.environ.update(case)
    try:
        c = botocore.session.Session().get_credentials()
        out = None if c is None else [c.access_key, c.secret_key, c.token]
    except Exception as e:  # the error botocore stops with is the answer
        out = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out), flush=True)
