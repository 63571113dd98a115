"""Shared settings of the Python client tests: the server address comes from LAIT_ADDRESS."""

import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

from lait_client import LaitClient  # noqa: E402

SEGMENT_ID = re.compile(r"^[0-9a-f]{64}$")
# When set (the xunit driver sets it), a test that finds no model with the task it needs fails
# instead of skipping, so that a misconfigured run cannot pass silently.
REQUIRE_ALL_TASKS = os.environ.get("LAIT_REQUIRE_ALL_TASKS") == "1"


def address():
    value = os.environ.get("LAIT_ADDRESS")
    if not value:
        raise unittest.SkipTest("LAIT_ADDRESS is not set (dotnet test tests/Lait.Clients.Tests starts a server and sets it)")
    return value


def client(**kwargs):
    return LaitClient(address(), timeout=60, **kwargs)


def auth_server(test):
    """(address, key) of a server that requires an API key, from LAIT_AUTH_ADDRESS / LAIT_AUTH_KEY."""
    address, key = os.environ.get("LAIT_AUTH_ADDRESS"), os.environ.get("LAIT_AUTH_KEY")
    if not address or not key:
        message = "LAIT_AUTH_ADDRESS / LAIT_AUTH_KEY are not set (no server with API keys)"
        if REQUIRE_ALL_TASKS:
            test.fail(message)
        test.skipTest(message)
    return address, key


def model_with_task(test, c, task, labels=None):
    """Name of a served model with `task` (and a label from `labels`, if given), else skip/fail."""
    for m in c.list_models().models:
        if task in m.tasks and (labels is None or any(label.lower() in labels for label in m.labels)):
            return m
    message = f"no served model has task {task!r}" + (f" with one of the labels {labels}" if labels else "")
    if REQUIRE_ALL_TASKS:
        test.fail(message)
    test.skipTest(message)
