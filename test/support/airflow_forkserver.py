"""A warm Airflow CLI: imports Airflow and builds its CLI parser once, then os.fork()s a
child per command that runs Airflow's own entry point (`airflow.__main__.main`, what the
`airflow` console script calls) with the command's argv and cwd. A command pays for its own
work only, not for starting Python and importing Airflow (seconds per call).

Start it with the venv's python and the environment every command runs with (AIRFLOW_HOME,
the DB, the DAG folder: Airflow reads its configuration at import, so one server serves one
environment). argv[1] = the path of the venv's `airflow` script (the CLI's argv[0]).

Protocol, one JSON object per line. Request on stdin:
  {"id": 1, "argv": ["dags", "list"], "cwd": "/dir", "stdout": "/file", "stderr": "/file",
   "pass_folder": "/dags" (optional: scheduler_pass.py's pass over that folder first),
   "script": "/x.py" (optional: runs `python /x.py ARGV` instead of `airflow ARGV`),
   "env": {"NAME": "value"} (optional: set in the command's environment; only variables read
   when used, such as a connection or AWS credentials: Airflow's configuration was read at import)}
Answer on stdout, when the child exited: {"id": 1, "code": 0}.
stdout and stderr of the command are written to the files the request names. Whatever the
import printed on stderr (deprecation warnings) is written first to every command's stderr,
as a cold `airflow` process would print it; the command's stdout is its own.
"""
import gc

# No garbage collection while Airflow is imported (each pass walks every object made so far);
# what the import built is frozen below, before the first fork.
gc.disable()

import json
import os
import select
import sys
import tempfile
import traceback

AIRFLOW_SCRIPT = sys.argv[1]

# What the import prints (warnings) is kept aside and replayed to each command's stderr.
sys.stderr.flush()
_saved_stderr = os.dup(2)
_preamble = tempfile.TemporaryFile()
os.dup2(_preamble.fileno(), 2)
try:
    import airflow.__main__  # noqa: F401  imports airflow, its configuration and the CLI parser
    from airflow.cli import cli_parser
    from airflow.configuration import write_default_airflow_configuration_if_needed

    cli_parser.get_parser()  # cached: each child parses with the parser built here
    # What the first command of a fresh AIRFLOW_HOME does (main() for every command but
    # `version`): write airflow.cfg with a new fernet key. Done here, once, so every child's
    # configuration is the file's (a child writing it would keep its key to itself).
    write_default_airflow_configuration_if_needed()
finally:
    sys.stderr.flush()
    os.dup2(_saved_stderr, 2)
    os.close(_saved_stderr)
_preamble.seek(0)
PREAMBLE = _preamble.read()
_preamble.close()

# Modules the commands the tests send import on first use (their dependencies, not the
# command modules in airflow.cli.commands: importing dag_command prints graphviz's warning,
# which a cold run prints at that point of the command). Imported here, each forked command
# pays only for its own work (Airflow 2 `dags list` 0.33 -> 0.11 CPU-s of imports and run).
# Modules a version lacks are skipped. Should any of them print anything at import (a later
# Airflow), the server starts again without them: a command's output must stay what a cold
# run prints.
PRELOAD = [
    "airflow.cli.simple_table",
    "airflow.models.serialized_dag",
    "airflow.serialization.serialized_objects",
    "airflow.models.variable",
    "airflow.models.connection",
    "airflow.models.dagwarning",
    "airflow.models.errors",
    "airflow.utils.db",
    "airflow.www.app",
    "airflow.dag_processing.bundles.manager",
    "airflow.dag_processing.processor",
    "airflow.jobs.job",
    "airflow.macros",
    "alembic.config",
    "tenacity",
    "airflow.api.client",
    "airflow.api.client.local_client",
    "airflow.api_connexion.schemas.dag_schema",
    "airflow.api_fastapi.core_api.datamodels",
    "airflow.migrations.utils",
    "airflow.models.taskinstancehistory",
    "airflow.models.skipmixin",
    "airflow.models.baseoperatorlink",
    "airflow.models.mappedoperator",
    "airflow.models.pool",
    "airflow.models.renderedtifields",
    "airflow.models.deadline",
    "airflow.models.db_callback_request",
    "airflow.utils.dag_edges",
    "airflow.dag_processing.collection",
    "airflow.dag_processing.bundles.local",
    "airflow.jobs.local_task_job_runner",
    "psutil",
    "rich.syntax",
    "pygments.lexers.data",
    "pygments.formatters.terminal256",
    "airflow.migrations.db_types",
    "airflow.models.operator",
    "airflow.utils.dag_parsing_context",
]


def preload():
    """Imports PRELOAD; False when an import printed anything or failed other than absent."""
    import importlib

    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    noise = tempfile.TemporaryFile()
    os.dup2(noise.fileno(), 1)
    os.dup2(noise.fileno(), 2)
    quiet = True
    try:
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as e:
                # This version has no such module; a missing dependency of one that exists is
                # not the same thing.
                if not (e.name and name.startswith(e.name)):
                    quiet = False
            except Exception:
                quiet = False
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    noise.seek(0)
    return quiet and not noise.read()


if "--no-preload" not in sys.argv[2:] and not preload():
    os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), AIRFLOW_SCRIPT, "--no-preload"])

_out = os.fdopen(os.dup(1), "w", buffering=1)
# The command's stdout must never reach the protocol stream.
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)


def run_child(req):
    """In the forked child: the `airflow` process, from its entry point to its exit."""
    code = 1
    gc.enable()  # as in a cold process; the server's own objects stay frozen
    try:
        os.chdir(req.get("cwd") or os.getcwd())
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.write(2, PREAMBLE)
        # Variables read when used (a connection, AWS credentials), not at import.
        os.environ.update(req.get("env") or {})
        if req.get("pass_folder"):
            # scheduler_pass.py does the pass, then runs `airflow ARGV` itself.
            script, sys.argv = SCHEDULER_PASS, [SCHEDULER_PASS, req["pass_folder"], *req["argv"]]
        elif req.get("script"):
            # `python SCRIPT ARGV`: the script's folder first on sys.path, as python puts it.
            script, sys.argv = req["script"], [req["script"], *req["argv"]]
            sys.path[0] = os.path.dirname(os.path.abspath(script))
        else:
            # The venv's `airflow` console script itself, as __main__.
            script, sys.argv = AIRFLOW_SCRIPT, [AIRFLOW_SCRIPT, *req["argv"]]
        try:
            with open(script) as f:
                source = f.read()
            exec(compile(source, script, "exec"), {"__name__": "__main__", "__file__": script})
            code = 0
        except SystemExit as e:
            # What the interpreter does with an uncaught SystemExit.
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                sys.stderr.write(f"{e.code}\n")
                code = 1
        except BaseException as e:
            # As the interpreter prints it: the traceback from the script's frame down.
            traceback.print_exception(type(e), e, e.__traceback__.tb_next)
            code = 1
        # Interpreter shutdown: join non-daemon threads, run atexit (logging.shutdown, ...).
        try:
            import threading

            threading._shutdown()
        except BaseException:
            pass
        try:
            import atexit

            atexit._run_exitfuncs()
        except BaseException:
            traceback.print_exc()
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        try:
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(code & 0xFF)


SCHEDULER_PASS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mwaa-fake", "scheduler_pass.py")


def serve():
    children = {}
    buf = b""
    stdin = sys.stdin.fileno()
    open_input = True
    while open_input or children:
        ready, _, _ = select.select([stdin] if open_input else [], [], [], 0.02)
        if ready:
            chunk = os.read(stdin, 65536)
            if not chunk:
                open_input = False
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                req = json.loads(line)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    run_child(req)
                children[pid] = req["id"]
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            rid = children.pop(pid, None)
            if rid is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            _out.write(json.dumps({"id": rid, "code": code if code >= 0 else 128 - code}) + "\n")


# The imported objects go to the collector's permanent generation: a child's collections then
# skip them, instead of walking (and so copying, page by page, from the shared memory) the
# whole of Airflow on every pass. ~40% less CPU per forked command.
gc.collect()
gc.freeze()
_out.write(json.dumps({"ready": True}) + "\n")
serve()
