"""Plays the Batch jobs of a sweep: each job is its own process with exactly its own
environment, forked from this interpreter once it has imported what every job imports (boto3,
the metrics helper), so a job pays for its own work only, not for starting Python and
importing boto3 (~0.5 CPU-s each).

    python run_jobs.py < {"preload": ["boto3", ...], "jobs": [{"env": {...}, "code": "..."}]}

Jobs run one after the other. Each child replaces os.environ with the job's env, runs the
code as __main__ and exits 0, or prints the traceback and exits 1. Exits 1 when a job failed.
"""
import importlib
import json
import os
import sys
import traceback

request = json.load(sys.stdin)
for name in request.get("preload", []):
    importlib.import_module(name)

failed = 0
for job in request["jobs"]:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.environ.clear()
            os.environ.update(job["env"])
            exec(compile(job["code"], "<job>", "exec"), {"__name__": "__main__"})
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        failed += 1
sys.exit(1 if failed else 0)
