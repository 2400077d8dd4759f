"""Loads a DAG folder into a real Airflow DagBag and writes what the tests check as JSON.

Usage: python dagbag_probe.py DAG_FOLDER OUTPUT_JSON
(Airflow logs to stdout, so the report goes to a file.)
"""

import json
import sys
import time


def describe_task(task):
    info = {
        "task_id": task.task_id,
        "type": type(task).__name__,
        "upstream": sorted(task.upstream_task_ids),
        "downstream": sorted(task.downstream_task_ids),
        "trigger_rule": str(getattr(task, "trigger_rule", "")).split(".")[-1].lower(),
        "mapped": hasattr(task, "expand_input"),
    }
    if info["mapped"]:
        partial = task.partial_kwargs
        info["operator_class"] = task.operator_class.__name__ if hasattr(task, "operator_class") else None
        info["template_fields"] = sorted(task.template_fields)
        info["partial"] = {
            key: partial.get(key)
            for key in ("job_queue", "job_definition", "results_bucket", "backtest_dag_id", "retry_strategy", "retries")
        }
        info["retry_exponential_backoff"] = bool(partial.get("retry_exponential_backoff"))
        info["map_index_template"] = partial.get("map_index_template")
        info["expand_from"] = [op.task_id for op, _ in task.expand_input.value["run_row"].iter_references()]
        runs, padding = mapped_arguments(task)
        info["expand"] = [
            {
                "job_name": item["job_name"],
                "environment": item["container_overrides"]["environment"],
                "run_label": item.get("run_label"),
            }
            for item in runs
        ]
        info["padding"] = len(padding)
        info["padding_skips"] = padding_skips(task, padding[0]) if padding else None
    else:
        info["retries"] = task.retries
    return info


def mapped_arguments(task):
    """What the mapped Batch task's runs will be when a DAG run starts now.

    It maps over the rows returned by its `runs` task, which computes them from the first
    task's XCom (runs_snapshot in the template); call both functions as a run would, then
    pick this part's run from each row as the operator does.
    """
    ((source, _),) = task.expand_input.value["run_row"].iter_references()
    part = task.partial_kwargs["part"]
    rows = run_rows(source)
    return [row[part] for row in rows if part < len(row)], [row for row in rows if part >= len(row)]


_ROWS = {}


def run_rows(source):
    """The rows a DAG's `runs` task returns, computed once per DAG (every part maps over them)."""
    if id(source) not in _ROWS:
        callable_ = source.python_callable
        snapshot = callable_.__globals__["runs_snapshot"]()
        args = [snapshot if hasattr(a, "iter_references") else a for a in source.op_args]
        _ROWS[id(source)] = (source, callable_(*args))  # the task kept alive: its id stays its own
    return _ROWS[id(source)][1]


def padding_skips(task, row):
    """Whether the operator, given a row without a run for its part, skips instead of submitting."""
    from airflow.exceptions import AirflowSkipException

    partial = {k: task.partial_kwargs[k] for k in ("part", "results_bucket", "backtest_dag_id", "job_queue", "job_definition")}
    operator = task.operator_class(task_id="padding_probe", run_row=row, **partial)
    try:
        operator.execute({"run_id": "probe"})
    except AirflowSkipException:
        return True
    return False


def serialized(dag):
    """The JSON the scheduler stores for the DAG (what every re-parse re-serializes), and why
    it could not be read back as the scheduler reads it (None when it round-trips).

    The DAG is serialized once (the costly part of the probe); the round trip goes through
    the JSON text, as the stored DAG does.
    """
    from airflow.serialization.serialized_objects import SerializedDAG

    try:
        text = json.dumps(SerializedDAG.to_dict(dag), sort_keys=True)
    except Exception as err:  # reported to the test, which fails on it
        return None, "%s: %s" % (type(err).__name__, err)
    try:
        SerializedDAG.from_dict(json.loads(text))
        return text, None
    except Exception as err:  # reported to the test, which fails on it
        return text, "%s: %s" % (type(err).__name__, err)


def schedule_of(dag):
    """The schedule as written: Airflow 3 keeps it as `schedule`, Airflow 2 as `schedule_interval`."""
    if hasattr(dag, "schedule"):
        return dag.schedule
    return dag.schedule_interval


def main():
    folder, output = sys.argv[1], sys.argv[2]
    from airflow.models.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(folder, include_examples=False)
    elapsed = time.perf_counter() - started
    report = {
        "airflow_version": __import__("airflow").__version__,
        "seconds": elapsed,
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
        "dags": {},
    }
    for dag_id, dag in sorted(bag.dags.items()):
        text, error = serialized(dag)
        report["dags"][dag_id] = {
            "fileloc": dag.fileloc,
            "description": dag.description,
            "doc_md": dag.doc_md,
            "tags": sorted(dag.tags),
            "schedule": schedule_of(dag),
            "owner": dag.owner,
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "tasks": {t.task_id: describe_task(t) for t in dag.tasks},
            "serialization_error": error,
            "serialized_bytes": len(text.encode()) if text is not None else -1,
            # How many run environments the stored DAG holds (none: they are made at run time).
            "serialized_runs": text.count("BACKTEST_RUN_INDEX") if text is not None else -1,
        }
    with open(output, "w") as fh:
        json.dump(report, fh)


if __name__ == "__main__":
    main()
