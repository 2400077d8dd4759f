"""A user-defined `before` callback for the end-to-end test, deployed in the DAG folder.

moto's Batch runs no container, so nothing writes results; this stands in for the jobs by
writing one object under every run's results prefix, then runs the built-in queue check.
"""


def write_results_then_check_queue(backtest, **context):
    from backtest_gitops_support import callbacks

    s3 = callbacks._aws_client("s3")
    index = 0
    for strategy in backtest["strategies"]:
        for _ in range(strategy["runs"]):
            key = "backtests/%s/%s/%s/run-%05d/result.json" % (
                backtest["dag_id"],
                context["run_id"],
                strategy["name"],
                index,
            )
            s3.put_object(Bucket=strategy["results_bucket"] or "backtest-results", Key=key, Body=b"{}")
            index += 1
    return callbacks.check_batch_queue_status(backtest, **context)


def merge_mid_sweep_then_write_results(backtest, **context):
    """Stands in for a config merged while this DAG run is under way.

    A worker that parses the DAG file after such a merge sees a different CONFIG; here the
    loaded module's CONFIG gets the new grid values, after the first task took its snapshot.
    The Batch jobs must still get the grid the run started with.
    """
    config = context["task"].python_callable.__globals__["CONFIG"]
    for strategy in config["strategies"]:
        for axis in strategy["grid"]:
            for i, _ in enumerate(axis):
                axis[i] = {"value": "merged-%d" % i, "json": '"merged-%d"' % i}
    context["ti"].xcom_push(key="merged_grid", value=[s["grid"] for s in config["strategies"]])
    return write_results_then_check_queue(backtest, **context)
