"""DagBag parse time of two DAG folders in one Airflow process (see bench/dag-parse.ts).

Usage: python dag-parse.py RENDERED_DIR DAG_FACTORY_DIR|- ROUNDS -> JSON on the last line
("-" skips dag-factory: at thousands of DAGs one round of it takes many minutes)
"""

import json
import statistics
import sys
import time


def parse(folder):
    from airflow.models.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(folder, include_examples=False, safe_mode=True)
    seconds = time.perf_counter() - started
    tasks = sum(len(dag.tasks) for dag in bag.dags.values())
    errors = {k.rsplit("/", 1)[-1]: v.strip().splitlines()[-1] for k, v in bag.import_errors.items()}
    return seconds, len(bag.dags), tasks, errors


def import_dag_factory():
    """dag-factory 0.22 reads `versions` from the cncf.kubernetes provider info at import,
    which newer provider releases no longer have (KeyError: 'versions'). Supply the
    installed version so it imports; the DAG loaders then reuse the imported module."""
    from importlib.metadata import version

    from airflow.providers.cncf.kubernetes import get_provider_info as info

    original = info.get_provider_info

    def with_versions():
        data = dict(original())
        data.setdefault("versions", [version("apache-airflow-providers-cncf-kubernetes")])
        return data

    info.get_provider_info = with_versions
    import dagfactory  # noqa: F401


def main():
    rendered, factory, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # Warm up the imports both variants share, so neither pays them inside the timing.
    import airflow.operators.python  # noqa: F401
    import airflow.providers.amazon.aws.operators.batch  # noqa: F401
    import_dag_factory()

    names = ["rendered"] if factory == "-" else ["rendered", "dag_factory"]
    if rounds > 1:  # a warm-up parse of each folder; a single long round (thousands of DAGs) skips it
        parse(rendered)
        if factory != "-":
            parse(factory)
    times = {name: [] for name in names}
    shape = {}
    for r in range(rounds):
        # Alternate the order so caches and GC pressure favour neither.
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            seconds, dags, tasks, errors = parse(rendered if name == "rendered" else factory)
            times[name].append(seconds)
            shape[name] = {"dags": dags, "tasks": tasks, "import_errors": len(errors), "first_errors": dict(list(errors.items())[:3])}
    print(
        json.dumps(
            {
                "airflow": __import__("airflow").__version__,
                "median_seconds": {k: statistics.median(v) for k, v in times.items()},
                "all_seconds": times,
                "shape": shape,
            }
        )
    )


if __name__ == "__main__":
    main()
