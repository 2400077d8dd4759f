# --- backtest-gitops:header ---
# Template of the backtest DAG rendered by backtest-gitops. Rendered files replace this
# header with the source config path, its sha256 and the generator version.
# --- backtest-gitops:end-header ---
"""Backtest DAG rendered by backtest-gitops: before -> AWS Batch runs -> after.

Everything this DAG does is data in CONFIG (one JSON literal decoded below); the code is
the same for every backtest, so no config value is ever part of the Python source.
Parsing does no I/O and reads no Airflow Variable: infrastructure names that the config
leaves out are Jinja templates resolved when a task runs.
"""

from __future__ import annotations

import datetime
import importlib
import itertools
import json
import logging
import os
import sys

from airflow.exceptions import AirflowSkipException
from airflow.providers.amazon.aws.operators.batch import BatchOperator

try:
    from airflow.providers.amazon.aws.links.batch import (
        BatchJobDefinitionLink,
        BatchJobDetailsLink,
        BatchJobQueueLink,
    )
    from airflow.providers.amazon.aws.links.logs import CloudWatchEventsLink

    BATCH_LINKS = (BatchJobDetailsLink(), BatchJobDefinitionLink(), BatchJobQueueLink(), CloudWatchEventsLink())
except ImportError:  # provider releases without these links: no console links, still serializable
    BATCH_LINKS = ()

try:  # Airflow 3: the task SDK is the public authoring interface.
    from airflow.sdk import DAG, TaskGroup, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task
    from airflow.utils.task_group import TaskGroup

# --- backtest-gitops:config ---
CONFIG = json.loads(r'''{
  "dag_id": "backtest_template_sample",
  "description": "Sample payload so the template itself imports in tests",
  "doc_md": "# backtest_template_sample\n\nSample.\n",
  "tags": ["backtest"],
  "schedule": null,
  "owner": "backtest-gitops",
  "retries": 1,
  "batch_attempts": 3,
  "callbacks": {"before": null, "after": null},
  "strategies": [
    {
      "name": "sample",
      "group_id": null,
      "first_index": 0,
      "runs": 2,
      "job_name_prefix": "backtest_template_sample-sample",
      "job_queue": null,
      "job_definition": null,
      "results_bucket": null,
      "params": [
        {"env": "STRATEGY_CLASS", "key": "\"strategy_class\"", "value": "Sample", "json": "\"Sample\""},
        {"env": "TAKE_PROFIT_PCT", "key": "\"take_profit_pct\"", "grid": 0}
      ],
      "grid": [[{"value": "5", "json": "5"}, {"value": "10", "json": "10"}]],
      "extra_env": [
        {"name": "BACKTEST_STRATEGY", "value": "sample"},
        {"name": "BACKTEST_DAG_ID", "value": "backtest_template_sample"}
      ]
    }
  ]
}''')
# --- backtest-gitops:end-config ---

# Airflow refuses to map more than [core] max_map_length (default 1,024) task instances
# per task, so larger grids are split into several mapped tasks of at most this many runs.
MAX_RUNS_PER_MAPPED_TASK = 1024
DAG_START = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
VARIABLE_TEMPLATES = {
    "job_queue": "{{ var.value.batch_job_queue }}",
    "job_definition": "{{ var.value.batch_job_definition }}",
    "results_bucket": "{{ var.value.trading_strategies_bucket }}",
}
# AWS Batch retries the job itself when the host went away (Spot reclaim, EC2 failure);
# any other failure exits and is left to Airflow's own retries.
BATCH_RETRY_STRATEGY = {
    "attempts": CONFIG["batch_attempts"],
    "evaluateOnExit": [
        {"onStatusReason": "Host EC2*", "action": "RETRY"},
        {"onReason": "*", "action": "EXIT"},
    ],
}


class BacktestBatchOperator(BatchOperator):
    """BatchOperator that never Jinja-renders the run parameters.

    Only the infrastructure names are templated (they may be `{{ var.value.* }}`), so a
    parameter value containing `{{ ... }}` reaches the container exactly as written (job
    names are made of [A-Za-z0-9_-] only).
    """

    template_fields = ("job_name", "job_queue", "job_definition", "results_bucket")
    # None of these fields needs a renderer (the provider's are for the fields not templated here).
    template_fields_renderers = {}
    # A plain tuple, as in provider releases for Airflow 3: the Airflow 2 provider computes
    # the links in a property that fails on mapped tasks, which stops the scheduler from
    # serializing the DAG ("'MappedOperator' object has no attribute 'is_mapped'").
    operator_extra_links = BATCH_LINKS

    def __init__(self, *, run_row, part, results_bucket: str, backtest_dag_id: str, **kwargs):
        # run_row holds this map index's run of every part (see batch_arguments); a short
        # last part pads with an empty run, which execute() skips.
        run = run_row[part] if part < len(run_row) else PADDING
        super().__init__(job_name=run["job_name"], container_overrides=run["container_overrides"], **kwargs)
        self.results_bucket = results_bucket
        self.backtest_dag_id = backtest_dag_id
        # Shown as the task instance's map index in the UI (map_index_template below).
        self.run_label = run["run_label"]

    def execute(self, context):
        # Copy, never mutate: the mapped arguments are shared with the resolved XCom.
        overrides = dict(self.container_overrides or {})
        if not overrides.get("environment"):
            raise AirflowSkipException("no run: padding at the end of the last part")
        environment = [e for e in overrides.get("environment", []) if e["name"] != "RESULTS_S3_URI"]
        environment.append({"name": "RESULTS_S3_URI", "value": self.results_uri(context)})
        overrides["environment"] = environment
        self.container_overrides = overrides
        return super().execute(context)

    def results_uri(self, context):
        """RESULTS_S3_URI of this map index's run (None for padding): the job's results folder."""
        env = {item["name"]: item["value"] for item in (self.container_overrides or {}).get("environment", [])}
        if "BACKTEST_RUN_INDEX" not in env:
            return None
        return "s3://%s/backtests/%s/%s/%s/run-%05d/" % (
            self.results_bucket,
            self.backtest_dag_id,
            context["run_id"],
            env["BACKTEST_STRATEGY"],
            int(env["BACKTEST_RUN_INDEX"]),
        )


def runs_snapshot():
    """What the runs of one DAG run are made from, taken once by its first task.

    The Batch tasks' arguments are computed from this XCom, never from CONFIG as a later
    parse sees it, so a config merged while a sweep runs cannot change the runs under way.
    """
    keys = ("name", "first_index", "runs", "job_name_prefix", "params", "grid", "extra_env")
    return {"strategies": [{key: s[key] for key in keys} for s in CONFIG["strategies"]]}


def strategy_runs(strategy):
    """Yields (run index, environment, label) for every run of a strategy; last grid key fastest."""
    axes = strategy["grid"]
    for offset, combo in enumerate(itertools.product(*axes)):
        index = strategy["first_index"] + offset
        env = []
        fragments = []
        shown = []
        for param in strategy["params"]:
            chosen = combo[param["grid"]] if "grid" in param else param
            env.append({"name": param["env"], "value": chosen["value"]})
            fragments.append(param["key"] + ":" + chosen["json"])
            if "grid" in param and len(axes[param["grid"]]) > 1:
                shown.append(json.loads(param["key"]) + "=" + chosen["json"])
        env.append({"name": "BACKTEST_PARAMS", "value": "{" + ",".join(fragments) + "}"})
        env.append({"name": "BACKTEST_RUN_INDEX", "value": str(index)})
        env.extend(strategy["extra_env"])
        yield index, env, run_label(index, shown)


def run_label(index, shown):
    """`run 7: take_profit_pct=5, stop_loss_pct=2`, cut to fit Airflow's 250-character column."""
    label = "run %d" % index + (": " + ", ".join(shown) if shown else "")
    return label if len(label) <= 200 else label[:199] + "\u2026"


def part_layout(runs):
    """(parts, runs per part): as few parts as max_map_length allows, sized evenly.

    Every part maps over the same list, so all have the same length; only the last part
    can be short, by fewer than `parts` runs, and pads with skipped instances.
    """
    parts = max(1, -(-runs // MAX_RUNS_PER_MAPPED_TASK))
    return parts, max(1, -(-runs // parts))


def batch_arguments(snapshot, strategy_name):
    """One row per map index: row i holds run i of every part of the strategy.

    Every string was computed by backtest-gitops when it rendered the config; this only
    picks and concatenates them, from the first task's snapshot.
    """
    for strategy in snapshot["strategies"]:
        if strategy["name"] == strategy_name:
            arguments = [
                {
                    "job_name": "%s-run-%05d" % (strategy["job_name_prefix"], index),
                    "container_overrides": {"environment": env},
                    "run_label": label,
                }
                for index, env, label in strategy_runs(strategy)
            ]
            _, size = part_layout(len(arguments))
            return [arguments[row::size] for row in range(size)]
    return []  # the strategy was added after this DAG run started: it has no runs here


PADDING = {"job_name": "padding", "container_overrides": {"environment": []}, "run_label": "no run (padding)"}


def run_callback(which, context):
    """Imports the configured callback only now, at run time, and calls it with the context."""
    path = CONFIG["callbacks"][which]
    if not path:
        return None
    module_name, _, attr = path.rpartition(".")
    callback = getattr(import_beside(module_name), attr)
    return callback(backtest=runtime_info(), **context)


def import_beside(module_name):
    """Imports a module of the support package, which is deployed next to this file.

    Airflow 2 puts the DAG folder on sys.path; Airflow 3 only does so for some ways of
    running a task, so make sure.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.append(here)
    return importlib.import_module(module_name)


def run_status_callback(state):
    """on_retry_callback / on_failure_callback of the Batch tasks: a failed try leaves a
    run-status.json (state, Batch job id, try, task-log URL) next to the run's metrics.json,
    so the results report can name the job and link the log of a run that wrote nothing.
    """

    def callback(context):
        try:
            import_beside("backtest_gitops_support.callbacks").write_run_status(state, context)
        except Exception:  # a status report never changes the task's outcome
            logging.getLogger(__name__).warning("run-status.json not written", exc_info=True)

    return callback


def runtime_info():
    """What callbacks need to know about this DAG (infra may be None = use the Variable)."""
    return {
        "dag_id": CONFIG["dag_id"],
        "batch_task_ids": [part["task_id"] for part in BATCH_PARTS],
        "batch_tasks": [{"task_id": p["task_id"], "runs": p["runs"]} for p in BATCH_PARTS],
        "strategies": [
            {key: s[key] for key in ("name", "job_queue", "job_definition", "results_bucket", "runs")}
            for s in CONFIG["strategies"]
        ],
    }


def add_batch_tasks(strategy, snapshot, upstream, downstream):
    """A task computing the strategy's runs, then Batch jobs mapped over them in parts.

    Parsing only counts the runs; the arguments are made at run time, so parsing and
    serializing this DAG costs about the same for 10 runs as for 10,000.
    """
    parts, size = part_layout(strategy["runs"])
    infra = {key: strategy[key] or template for key, template in VARIABLE_TEMPLATES.items()}
    arguments = task(task_id="runs")(batch_arguments)(snapshot, strategy["name"])
    upstream >> arguments
    for number in range(parts):
        suffix = "" if parts == 1 else "_part_%03d" % number
        batch = BacktestBatchOperator.partial(
            task_id="backtest" + suffix,
            job_queue=infra["job_queue"],
            job_definition=infra["job_definition"],
            results_bucket=infra["results_bucket"],
            backtest_dag_id=CONFIG["dag_id"],
            part=number,
            map_index_template="{{ task.run_label }}",
            retry_strategy=BATCH_RETRY_STRATEGY,
            retries=CONFIG["retries"],
            retry_delay=datetime.timedelta(minutes=1),
            retry_exponential_backoff=True,
            max_retry_delay=datetime.timedelta(minutes=30),
            on_retry_callback=run_status_callback("up_for_retry"),
            on_failure_callback=run_status_callback("failed"),
        ).expand(run_row=arguments)
        group = "" if strategy["group_id"] is None else strategy["group_id"] + "."
        runs = min(size, strategy["runs"] - number * size)
        BATCH_PARTS.append({"task_id": group + "backtest" + suffix, "runs": runs})
        batch >> downstream


BATCH_PARTS = []

with DAG(
    dag_id=CONFIG["dag_id"],
    description=CONFIG["description"],
    doc_md=CONFIG["doc_md"],
    schedule=CONFIG["schedule"],
    start_date=DAG_START,
    catchup=False,
    max_active_runs=1,
    tags=CONFIG["tags"],
    default_args={"owner": CONFIG["owner"]},
) as dag:

    @task(task_id="before")
    def before(**context):
        # First task of every DAG run: fixes the grid this run expands (see runs_snapshot).
        context["ti"].xcom_push(key="runs", value=runs_snapshot())
        return run_callback("before", context)

    @task(task_id="after", trigger_rule="all_done")
    def after(**context):
        return run_callback("after", context)

    before_task = before()
    after_task = after()
    for strategy in CONFIG["strategies"]:
        if strategy["group_id"] is None:
            add_batch_tasks(strategy, before_task["runs"], before_task, after_task)
        else:
            with TaskGroup(group_id=strategy["group_id"]):
                add_batch_tasks(strategy, before_task["runs"], before_task, after_task)
