"""AWS Batch + S3 fixtures in moto for the end-to-end DAG run.

Usage: python moto_batch.py ENDPOINT setup
       python moto_batch.py ENDPOINT jobs QUEUE   -> JSON list of {name, environment}
"""

import json
import sys

import boto3

QUEUE = "backtest-queue"
JOB_DEFINITION = "backtest-job"
BUCKET = "backtest-results"


def clients(endpoint):
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    return boto3.client("iam", **kw), boto3.client("batch", **kw), boto3.client("s3", **kw)


def setup(endpoint):
    iam, batch, s3 = clients(endpoint)
    role = iam.create_role(RoleName="backtest-batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    env = batch.create_compute_environment(
        computeEnvironmentName="backtest-ce", type="UNMANAGED", state="ENABLED", serviceRole=role
    )
    batch.create_job_queue(
        jobQueueName=QUEUE,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env["computeEnvironmentArn"]}],
    )
    batch.register_job_definition(
        jobDefinitionName=JOB_DEFINITION,
        type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]},
    )
    batch.create_job_queue(
        jobQueueName="disabled-queue",
        state="DISABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env["computeEnvironmentArn"]}],
    )
    s3.create_bucket(Bucket=BUCKET)


def jobs(endpoint, queue):
    _, batch, _ = clients(endpoint)
    ids = []
    for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"):
        ids += [j["jobId"] for j in batch.list_jobs(jobQueue=queue, jobStatus=status)["jobSummaryList"]]
    described = batch.describe_jobs(jobs=ids)["jobs"] if ids else []
    return [
        {
            "name": j["jobName"],
            "status": j["status"],
            # moto adds AWS_BATCH_JOB_ID (several times); keep what the DAG sent.
            "environment": [e for e in j["container"]["environment"] if e["name"] != "AWS_BATCH_JOB_ID"],
        }
        for j in sorted(described, key=lambda j: j["jobName"])
    ]


if __name__ == "__main__":
    endpoint, command = sys.argv[1], sys.argv[2]
    if command == "setup":
        setup(endpoint)
    else:
        print(json.dumps(jobs(endpoint, sys.argv[3])))
