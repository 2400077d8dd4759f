"""Calls the built-in queue check directly for a list of queue names; prints one result per line.

Usage: python call_queue_check.py SUPPORT_DIR QUEUE|- ...   ("-" = leave it to the Variable)
"""

import json
import sys

sys.path.insert(0, sys.argv[1])
from backtest_gitops_support import callbacks  # noqa: E402

results = []
for queue in sys.argv[2:]:
    info = {"dag_id": "d", "strategies": [{"name": "s", "job_queue": None if queue == "-" else queue}]}
    try:
        results.append({"queue": queue, "ok": callbacks.check_batch_queue_status(info)})
    except Exception as err:
        results.append({"queue": queue, "error": "%s: %s" % (type(err).__name__, err)})
print(json.dumps(results))
