"""Cost of a DAG by its number of runs, for the hard ceiling on runs per DAG (see bench/max-runs.ts).

For each DAG folder: DagBag parse + SerializedDAG time (what the scheduler pays on every
parse) and the run-time `runs` task of one strategy: the time to make the runs' arguments
and the size of the XCom it stores in the metadata database.

Usage: python max-runs.py FOLDER... -> JSON on the last line
"""

import json
import os
import sys
import time


def measure(folder):
    from airflow.models.dagbag import DagBag
    from airflow.serialization.serialized_objects import SerializedDAG

    started = time.perf_counter()
    bag = DagBag(folder, include_examples=False, safe_mode=False)
    parsed = time.perf_counter()
    (dag,) = bag.dags.values()
    json.dumps(SerializedDAG.to_dict(dag))
    serialized = time.perf_counter()
    module = sys.modules[next(m for m in sys.modules if m.startswith("unusual_prefix") and dag.dag_id in m)]
    snapshot = module.runs_snapshot()
    name = snapshot["strategies"][0]["name"]
    rows = module.batch_arguments(snapshot, name)
    xcom = json.dumps(rows)
    made = time.perf_counter()
    return {
        "parse_ms": (parsed - started) * 1000,
        "serialize_ms": (serialized - parsed) * 1000,
        "runs_task_ms": (made - serialized) * 1000,
        "xcom_bytes": len(xcom.encode()),
        "tasks": len(dag.tasks),
    }


def main():
    import airflow.providers.amazon.aws.operators.batch  # noqa: F401  shared import, outside the timing

    result = {os.path.basename(folder): measure(folder) for folder in sys.argv[1:]}
    print(json.dumps({"airflow": __import__("airflow").__version__, "dags": result}))


if __name__ == "__main__":
    main()
