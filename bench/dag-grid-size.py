"""Parse + serialize CPU time of single-DAG files, each in its own DagBag (see bench/dag-grid-size.ts).

Usage: python dag-grid-size.py ROUNDS FOLDER... -> JSON on the last line
"""

import json
import os
import statistics
import sys
import time


def measure(folder):
    from airflow.models.dagbag import DagBag
    from airflow.serialization.serialized_objects import SerializedDAG

    # CPU time of this process, not wall time: the figure is the work the DAG processor does,
    # and it is far less disturbed by other processes on a busy machine.
    started = time.process_time()
    bag = DagBag(folder, include_examples=False, safe_mode=False)
    parsed = time.process_time()
    (dag,) = bag.dags.values()
    data = json.dumps(SerializedDAG.to_dict(dag))
    done = time.process_time()
    return {"parse": parsed - started, "serialize": done - parsed, "bytes": len(data.encode()), "tasks": len(dag.tasks)}


def main():
    rounds, folders = int(sys.argv[1]), sys.argv[2:]
    import airflow.providers.amazon.aws.operators.batch  # noqa: F401  shared import, outside the timing

    for folder in folders:  # warm-up
        measure(folder)
    samples = {os.path.basename(f): [] for f in folders}
    for r in range(rounds):
        # Alternate the order so caches and GC pressure favour none.
        for folder in folders if r % 2 == 0 else folders[::-1]:
            samples[os.path.basename(folder)].append(measure(folder))
    result = {}
    for name, runs in samples.items():
        result[name] = {
            "parse_ms": statistics.median(r["parse"] for r in runs) * 1000,
            "serialize_ms": statistics.median(r["serialize"] for r in runs) * 1000,
            "total_min_ms": min(r["parse"] + r["serialize"] for r in runs) * 1000,
            "bytes": runs[0]["bytes"],
            "tasks": runs[0]["tasks"],
        }
    print(json.dumps({"airflow": __import__("airflow").__version__, "dags": result}))


if __name__ == "__main__":
    main()
