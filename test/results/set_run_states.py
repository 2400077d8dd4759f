"""Plays Airflow's scheduler and executor for one DAG run in a test's metadata DB: the
`runs` task "returns" its rows (so each Batch task expands to one instance per row, as the
scheduler expands it), then every task instance gets the state the test asks for.

    python set_run_states.py DAG_ID RUN_ID '{"backtest": {"0": "success", ...}}' DAG_STATE
"""

import json
import sys

from airflow.models import DagBag, DagRun, TaskInstance, XCom
from airflow.models.taskmap import TaskMap
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState

dag_id, run_id, wanted, dag_state = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
dag = DagBag(read_dags_from_db=False, include_examples=False).get_dag(dag_id)
with create_session() as session:
    run = session.query(DagRun).filter(DagRun.dag_id == dag_id, DagRun.run_id == run_id).one()
    run.dag = dag
    run.verify_integrity(session=session)
    session.flush()
    tis = {ti.task_id: ti for ti in run.get_task_instances(session=session)}
    for task_id, ti in tis.items():
        if task_id.split(".")[-1] != "runs":
            continue
        rows = [{"row": i} for i in range(int(wanted["__rows__"][task_id]))]
        XCom.set(key="return_value", value=rows, task_id=task_id, dag_id=dag_id, run_id=run_id, session=session)
        session.merge(TaskMap.from_task_instance_xcom(ti, rows))
        ti.state = "success"
    session.flush()
    for task in dag.tasks:
        if task.task_id.split(".")[-1].startswith("backtest"):
            task.expand_mapped_task(run_id, session=session)
    session.flush()
    for ti in run.get_task_instances(session=session):
        state = wanted.get(ti.task_id, {}).get(str(ti.map_index))
        if state:
            ti.state = state
    run.state = DagRunState(dag_state)
print("ok")
