"""One pass of Airflow 2's DAG file processor over the DAG folder, as MWAA's scheduler
does continuously: parse each file, serialize its DAGs to the metadata DB, and record
import errors (including serialization errors, which `airflow dags list-import-errors`
does not see because it only parses) so DagModel.has_import_errors is what MWAA would show.
Run with the venv's python, AIRFLOW_HOME set; argv[1] = the DAG folder.

Any further arguments are an Airflow CLI command run in the same process after the pass
(`airflow ARGS`, through Airflow's own entry point), which saves starting Python and
importing Airflow a second time. A failed pass exits with PASS_FAILED before the command."""
import logging
import os
import sys
import tempfile
import traceback

PASS_FAILED = 97

from airflow.dag_processing.processor import DagFileProcessor
from airflow.models.dag import DagModel
from airflow.models.errors import ParseImportError
from airflow.utils.file import list_py_file_paths
from airflow.utils.session import create_session



def scheduler_pass(folder):
    log = logging.getLogger("mwaa-fake-scheduler")
    paths = list_py_file_paths(folder, include_examples=False)
    processor = DagFileProcessor(dag_ids=None, dag_directory=folder, log=log)
    for path in paths:
        processor.process_file(path, callback_requests=[])

    with create_session() as session:
        # Files that vanished: their DAGs go inactive and their import errors are dropped.
        DagModel.deactivate_deleted_dags(set(paths), processor_subdir=folder, session=session)
        session.query(ParseImportError).filter(ParseImportError.filename.notin_(paths)).delete(
            synchronize_session=False
        )


# The pass's own log lines are not the command's output: its stdout is discarded and its
# stderr kept aside, shown only when the pass fails (as when the pass was its own process).
sys.stdout.flush()
sys.stderr.flush()
saved = os.dup(1), os.dup(2)
devnull = os.open(os.devnull, os.O_WRONLY)
aside = tempfile.TemporaryFile()
os.dup2(devnull, 1)
os.dup2(aside.fileno(), 2)
try:
    scheduler_pass(sys.argv[1])
    failed = False
except Exception:
    traceback.print_exc()
    failed = True
finally:
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
if failed:
    aside.seek(0)
    sys.stderr.write(aside.read().decode(errors="replace"))
    sys.exit(PASS_FAILED)

if len(sys.argv) > 2:
    from airflow.__main__ import main

    sys.argv = ["airflow", *sys.argv[2:]]
    sys.exit(main())
