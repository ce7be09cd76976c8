"""Puts the project root on sys.path and holds the helpers the script tests share."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(script, *args, cwd=ROOT):
    """Run a top-level script in a fresh interpreter (scripts are never imported): CompletedProcess."""
    return subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True)


def last_json(stdout):
    """The JSON summary every analysis script prints as its last line."""
    return json.loads(stdout.strip().splitlines()[-1])
