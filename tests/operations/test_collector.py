"""`portal serve`'s app factory sets the garbage collector for a server (operations/collector.py):
start-up's objects frozen, a larger young generation, and garbage still collected on its own.
In a process of its own, since what it freezes would outlive the test."""

import os
import subprocess
import sys

from portal.operations import collector

SERVER = """
import gc, weakref
from portal.app import app_from_environment

before = gc.get_threshold()
app_from_environment()
print("threshold", *gc.get_threshold(), "was", *before)
print("frozen", gc.get_freeze_count())

class Node:
    pass

# A cycle made after start-up, then dropped: only the collector can free it, and nothing here
# calls it by hand: it must run by itself once enough new objects have been made.
collected = []
first, second = Node(), Node()
first.other, second.other = second, first
weakref.finalize(first, collected.append, True)
del first, second
kept = [[] for _ in range(gc.get_threshold()[0] * 2)]
print("collected", bool(collected))
"""


def test_the_served_app_freezes_start_up_and_still_collects_garbage(tmp_path):
    result = subprocess.run([sys.executable, "-c", SERVER], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PORTAL_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    threshold, was = lines["threshold"].split(" was ")
    assert int(threshold.split()[0]) == collector.YOUNG and int(was.split()[0]) == 700
    assert threshold.split()[1:] == was.split()[1:]  # the older generations as Python set them
    assert int(lines["frozen"]) > 100_000  # the modules, the app and its tables: all that start-up left
    assert lines["collected"] == "True"
