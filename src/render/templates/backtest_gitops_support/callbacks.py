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


def _list_keys(s3, bucket, prefix):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)


def _aws_client(service):
    """A boto3 client from Airflow's AWS connection (endpoint, region and credentials live there)."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    return AwsBaseHook(aws_conn_id=AWS_CONN_ID, client_type=service).get_conn()


def _variable(key):
    try:  # Airflow 3
        from airflow.sdk import Variable
    except ImportError:  # Airflow 2
        from airflow.models import Variable
    return Variable.get(key)
