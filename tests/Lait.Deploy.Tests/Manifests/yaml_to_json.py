"""Prints YAML files as JSON for the deploy tests: {"path": [document, ...], ...}.

No YAML library restores from our NuGet mirror, so the C# tests parse YAML through Debian's
python3-yaml (a dependency of yamllint) and check the structure in C#.
"""
import json
import sys

import yaml

out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        out[path] = [doc for doc in yaml.safe_load_all(f) if doc is not None]
json.dump(out, sys.stdout)
