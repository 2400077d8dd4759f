"""write_metrics: what a backtest job calls at its end so backtest-gitops can rank its run.

The job runs in an AWS Batch container started by a rendered DAG, with RESULTS_S3_URI
(s3://<bucket>/backtests/<dag_id>/<dag_run_id>/<strategy>/run-NNNNN/) and the run's
parameters in its environment. `write_metrics` writes RESULTS_S3_URI + "metrics.json" in
the format backtest-gitops reads (its JSON Schema: `backtestctl schema --metrics`), after
checking it, so a typo fails the job here instead of the report later.

Needs only the standard library, plus boto3 for s3:// destinations. Copy this file into the
job image (or pip-install the package around it); nothing here imports Airflow.
"""

from __future__ import annotations

import json
import math
import os
import re

__all__ = ["write_metrics", "metrics_document", "MetricsError"]

METRIC_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_RETURNS = 100_000
_RUN_URI = re.compile(r"/backtests/([^/]+)/([^/]+)/([^/]+)/run-(\d+)/?$")


class MetricsError(ValueError):
    """The metrics given to write_metrics do not fit metrics.json; the message names the field."""


def metrics_document(
    metrics,
    *,
    returns=None,
    n_observations=None,
    skew=None,
    kurtosis=None,
    periods_per_year=None,
    environ=None,
):
    """The metrics.json document as a dict (checked), with the run's context from the environment."""
    env = os.environ if environ is None else environ
    if not isinstance(metrics, dict) or not metrics:
        raise MetricsError("metrics: must be a non-empty dict of name -> number")
    clean = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not METRIC_NAME.match(name):
            raise MetricsError("metrics: %r is not a metric name (letters, digits, _; 64 at most)" % (name,))
        clean[name] = _finite("metrics.%s" % name, value)
    doc = {"schema_version": 1, "metrics": clean}
    if n_observations is not None:
        if isinstance(n_observations, bool) or int(n_observations) != n_observations or n_observations < 2:
            raise MetricsError("n_observations: must be a whole number of at least 2")
        doc["n_observations"] = int(n_observations)
    if skew is not None:
        doc["skew"] = _finite("skew", skew)
    if kurtosis is not None:
        doc["kurtosis"] = _finite("kurtosis", kurtosis)
        if doc["kurtosis"] < 1:
            raise MetricsError("kurtosis: is Pearson kurtosis (3 for normal returns), never below 1")
    if periods_per_year is not None:
        doc["periods_per_year"] = _finite("periods_per_year", periods_per_year)
        if doc["periods_per_year"] <= 0:
            raise MetricsError("periods_per_year: must be positive")
    if returns is not None:
        series = [_finite("returns[%d]" % i, r) for i, r in enumerate(returns)]
        if len(series) > MAX_RETURNS:
            raise MetricsError("returns: at most %d values" % MAX_RETURNS)
        doc["returns"] = series
    run = _run_context(env)
    if run:
        doc["run"] = run
    return doc


def write_metrics(metrics, *, uri=None, s3_client=None, **statistics):
    """Writes metrics.json for this run and returns where it went.

    metrics: dict of name -> number, e.g. {"sharpe": 1.4, "total_return": 0.21, "trades": 130}
      (sharpe annualised with periods_per_year, default 252).
    statistics: n_observations, skew, kurtosis (Pearson), periods_per_year, or returns (a
      list of per-period returns) — what the Deflated Sharpe Ratio of the sweep needs.
    uri: the run's results folder; default RESULTS_S3_URI. s3://... or a local folder.
    """
    base = uri if uri is not None else os.environ.get("RESULTS_S3_URI")
    if not base:
        raise MetricsError("RESULTS_S3_URI is not set: run inside a backtest-gitops job, or pass uri=")
    environ = dict(os.environ)
    environ["RESULTS_S3_URI"] = base
    body = json.dumps(metrics_document(metrics, environ=environ, **statistics), indent=2) + "\n"
    if base.startswith("s3://"):
        bucket, _, prefix = base[len("s3://"):].partition("/")
        key = prefix.rstrip("/") + "/metrics.json" if prefix.strip("/") else "metrics.json"
        if s3_client is None:
            import boto3

            s3_client = boto3.client("s3")
        s3_client.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType="application/json")
        return "s3://%s/%s" % (bucket, key)
    os.makedirs(base, exist_ok=True)
    path = os.path.join(base, "metrics.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(body)
    return path


def _finite(field, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)  # numpy scalars and Decimals
        except (TypeError, ValueError):
            raise MetricsError("%s: must be a number, not %r" % (field, value)) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise MetricsError("%s: must be a finite number, not %r" % (field, value))
    return value


def _run_context(env):
    run = {}
    match = _RUN_URI.search(env.get("RESULTS_S3_URI", "").replace("s3://", "/", 1))
    if match:
        run["dag_id"], run["dag_run_id"], run["strategy"] = match.group(1), match.group(2), match.group(3)
        run["run_index"] = int(match.group(4))
    if env.get("BACKTEST_DAG_ID"):
        run["dag_id"] = env["BACKTEST_DAG_ID"]
    if env.get("BACKTEST_STRATEGY"):
        run["strategy"] = env["BACKTEST_STRATEGY"]
    if env.get("BACKTEST_RUN_INDEX", "").isdigit():
        run["run_index"] = int(env["BACKTEST_RUN_INDEX"])
    if env.get("BACKTEST_COMMIT"):
        run["commit"] = env["BACKTEST_COMMIT"]
    if env.get("AWS_BATCH_JOB_ID"):
        run["batch_job_id"] = env["AWS_BATCH_JOB_ID"]
    if env.get("BACKTEST_PARAMS"):
        try:
            params = json.loads(env["BACKTEST_PARAMS"])
        except ValueError:
            params = None
        if isinstance(params, dict):
            run["params"] = params
    return run
