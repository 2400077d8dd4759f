"""One pass of Airflow 2's DAG file processor over the DAG folder, as MWAA's scheduler
does continuously: parse each file, serialize its DAGs to the metadata DB, and record
import errors (including serialization errors, which `airflow dags list-import-errors`
does not see because it only parses) so DagModel.has_import_errors is what MWAA would show.
Run with the venv's python, AIRFLOW_HOME set; argv[1] = the DAG folder."""
import logging
import sys

from airflow.dag_processing.processor import DagFileProcessor
from airflow.models.dag import DagModel
from airflow.models.errors import ParseImportError
from airflow.utils.file import list_py_file_paths
from airflow.utils.session import create_session

folder = sys.argv[1]
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
