"""What the client check scripts (*_clients.py) share: the passed/failed/skipped lists, the
check and section helpers, and the JSON summary line they end with."""
import json
import sys
import time
import traceback

passed, failed, skipped = [], [], []


def check(name, cond, detail=""):
    (passed if cond else failed).append(name if cond else "%s: %s" % (name, detail))
    return cond


def section(fn):
    """Runs one section; an unexpected exception fails it without stopping the others."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        failed.append("%s raised %s: %s" % (fn.__name__, type(e).__name__, e))
        traceback.print_exc()
    return fn


def wait_until(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return pred()


def finish(client, info):
    """Prints the summary line and exits non-zero if any check failed."""
    summary = {"ok": not failed, "client": client, "info": info, "passed": passed, "failed": failed,
               "skipped": skipped}
    print(json.dumps(summary))
    sys.exit(0 if not failed else 1)
