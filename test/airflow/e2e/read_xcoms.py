"""Prints the XComs and task states of one DAG as JSON, read straight from the test Airflow's sqlite DB.

Usage: python read_xcoms.py DB_PATH DAG_ID
  -> {"run_ids": [...], "xcoms": {"task_id/key": value}, "states": {"task_id[map_index]": state},
      "labels": {"task_id[map_index]": rendered map index}}
"""

import json
import sqlite3
import sys


def decode(value):
    if isinstance(value, bytes):
        value = value.decode()
    # Airflow 2 stores JSON bytes, Airflow 3 a JSON column; either may hold a JSON string.
    for _ in range(2):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                break
    return value


db, dag_id = sys.argv[1], sys.argv[2]
connection = sqlite3.connect(db)
rows = connection.execute(
    "SELECT run_id, task_id, map_index, key, value FROM xcom WHERE dag_id = ?", (dag_id,)
).fetchall()
out = {"run_ids": sorted({r[0] for r in rows}), "xcoms": {}}
for run_id, task_id, map_index, key, value in rows:
    name = "%s/%s" % (task_id, key) if map_index < 0 else "%s[%d]/%s" % (task_id, map_index, key)
    out["xcoms"][name] = decode(value)
out["states"] = {
    (task_id if map_index < 0 else "%s[%d]" % (task_id, map_index)): state
    for task_id, map_index, state in connection.execute(
        "SELECT task_id, map_index, state FROM task_instance WHERE dag_id = ?", (dag_id,)
    )
}
# The label the UI shows for a mapped task instance (map_index_template), per instance.
out["labels"] = {
    "%s[%d]" % (task_id, map_index): label
    for task_id, map_index, label in connection.execute(
        "SELECT task_id, map_index, rendered_map_index FROM task_instance WHERE dag_id = ? AND map_index >= 0",
        (dag_id,),
    )
}
print(json.dumps(out))
