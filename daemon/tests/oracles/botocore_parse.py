"""The cli reader's oracle: botocore's own configloader reads each file named on stdin.

Each stdin line is `config<TAB>path` or `credentials<TAB>path`; each stdout line is that
file's parse as JSON: {"error": line or null, "profiles": {name: {key: value}}}, the
config file through load_config (profiles as botocore names them), the credentials file
through raw_config_parse (as SharedCredentialProvider reads it). Run with PYTHONUTF8=1.
"""
import json
import sys

from botocore import configloader
from botocore.exceptions import ConfigParseError


def error_line(err):
    line = getattr(err, "lineno", None)
    if line is None and getattr(err, "errors", None):
        line = err.errors[0][0]
    return line or 0


for request in sys.stdin:
    kind, path = request.rstrip("\n").split("\t", 1)
    try:
        if kind == "config":
            profiles = configloader.load_config(path)["profiles"]
        else:
            profiles = configloader.raw_config_parse(path)
        out = {"error": None, "profiles": profiles}
    except ConfigParseError as e:
        out = {"error": error_line(e.kwargs.get("error")), "profiles": {}}
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
