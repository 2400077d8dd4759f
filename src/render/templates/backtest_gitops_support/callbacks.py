"""Built-in callbacks for rendered backtest DAGs (`callbacks.before` / `callbacks.after`).

A rendered DAG imports its callback only when the `before` or `after` task runs, and calls
it as `callback(backtest=info, **context)`, where `info` describes the DAG: its id, its
Batch task ids with their run counts, and per strategy the job queue, job definition and
results bucket (None = use the Airflow Variable). Every import sits inside a function so
that importing this module while parsing costs nothing.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

AWS_CONN_ID = "aws_default"
QUEUE_VARIABLE = "batch_job_queue"
BUCKET_VARIABLE = "trading_strategies_bucket"
MAX_LISTED_KEYS = 1000


def check_batch_queue_status(backtest, **context):
    """Fails the run before any job is submitted unless every job queue is ENABLED and VALID."""
    from airflow.exceptions import AirflowException

    queues = sorted({s["job_queue"] or _variable(QUEUE_VARIABLE) for s in backtest["strategies"]})
    client = _aws_client("batch")
    found = client.describe_job_queues(jobQueues=queues)["jobQueues"]
    by_name = {}
    for queue in found:
        by_name[queue["jobQueueName"]] = queue
        by_name[queue["jobQueueArn"]] = queue
    for name in queues:
        queue = by_name.get(name)
        if queue is None:
            raise AirflowException("AWS Batch job queue %r does not exist" % name)
        if queue.get("state") != "ENABLED" or queue.get("status", "VALID") != "VALID":
            raise AirflowException(
                "AWS Batch job queue %r is not available (state %s, status %s)"
                % (name, queue.get("state"), queue.get("status"))
            )
        log.info("AWS Batch job queue %r is ENABLED", name)
    return {"queues": queues}


def generate_backtest_report(backtest, **context):
    """Counts the runs that succeeded and lists their result objects in S3; pushes the report to XCom."""
    ti = context["ti"]
    run_id = context["run_id"]
    total = 0
    succeeded = 0
    for part in backtest["batch_tasks"]:
        # A Batch task returns its job id as XCom only when the job succeeded.
        values = ti.xcom_pull(task_ids=part["task_id"], map_indexes=list(range(part["runs"])))
        total += part["runs"]
        succeeded += sum(1 for value in (values or []) if value is not None)

    s3 = _aws_client("s3")
    results = {}
    for strategy in backtest["strategies"]:
        bucket = strategy["results_bucket"] or _variable(BUCKET_VARIABLE)
        prefix = "backtests/%s/%s/%s/" % (backtest["dag_id"], run_id, strategy["name"])
        keys = _list_keys(s3, bucket, prefix)
        results[strategy["name"]] = {
            "prefix": "s3://%s/%s" % (bucket, prefix),
            "objects": len(keys),
            "keys": keys[:MAX_LISTED_KEYS],
        }

    report = {
        "dag_id": backtest["dag_id"],
        "run_id": run_id,
        "total_backtests": total,
        "successful_backtests": succeeded,
        "success_rate": (succeeded / total * 100) if total else 0,
        "results": results,
    }
    ti.xcom_push(key="backtest_report", value=report)
    log.info("Backtest report: %s", report)
    return report


RUN_STATUS_FILE = "run-status.json"
BATCH_LINK_XCOM = "_link_BatchJobDetailsLink"


def write_run_status(state, context):
    """Writes run-status.json into a Batch run's results folder (RESULTS_S3_URI).

    Called by the rendered DAG's on_retry_callback / on_failure_callback of its Batch tasks
    (`state` is "up_for_retry" or "failed"), where a job that failed wrote no metrics.json:
    the file says which AWS Batch job ran the try and where its task log is. It holds no
    parameter or error text, only ids and a URL. Returns what it wrote (None for padding).
    """
    import json

    ti = context["ti"]
    task = context.get("task") or ti.task
    uri = task.results_uri(context) if hasattr(task, "results_uri") else None
    if not uri:
        return None
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    status = {
        "state": state,
        "batch_job_id": _batch_job_id(task, ti),
        "try_number": ti.try_number,
        "log_url": _log_url(ti),
        "dag_id": ti.dag_id,
        "dag_run_id": context["run_id"],
        "task_id": ti.task_id,
        "map_index": ti.map_index,
    }
    _aws_client("s3", getattr(task, "aws_conn_id", None) or AWS_CONN_ID).put_object(
        Bucket=bucket,
        Key=prefix + RUN_STATUS_FILE,
        Body=json.dumps(status, indent=2, sort_keys=True).encode("utf-8"),
        ContentType="application/json",
    )
    log.info("run-status.json of %s[%s]: %s", ti.task_id, ti.map_index, status)
    return status


def _log_url(ti):
    """The task-log URL Airflow gives the try (Airflow 3 sets it when the task starts under a
    supervisor; a task run in-process, as by `airflow dags test`, gets it computed the same way)."""
    url = getattr(ti, "log_url", None)
    if url:
        return url
    try:
        from airflow.sdk.execution_time.task_runner import get_log_url_from_ti
    except ImportError:
        return None
    return get_log_url_from_ti(ti)


def _batch_job_id(task, ti):
    """The try's AWS Batch job id: the operator keeps it once submitted; else its console-link XCom."""
    job_id = getattr(task, "job_id", None)
    if job_id:
        return job_id
    try:
        link = ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index, key=BATCH_LINK_XCOM)
    except Exception:  # an XCom backend problem only costs the id
        log.warning("no Batch job id in XCom", exc_info=True)
        return None
    return link.get("job_id") if isinstance(link, dict) else None


def _list_keys(s3, bucket, prefix):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)


def _aws_client(service, conn_id=AWS_CONN_ID):
    """A boto3 client from Airflow's AWS connection (endpoint, region and credentials live there)."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    return AwsBaseHook(aws_conn_id=conn_id, client_type=service).get_conn()


def _variable(key):
    try:  # Airflow 3
        from airflow.sdk import Variable
    except ImportError:  # Airflow 2
        from airflow.models import Variable
    return Variable.get(key)
