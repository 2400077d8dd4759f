"""A test clock for the amazon provider's AWS Batch polling (loaded as `sitecustomize` from
PYTHONPATH by the `airflow dags test` harness, test/airflow/e2e/dags-test.ts).

BatchClientHook.wait_for_job sleeps a random 1-10 s three times per job (before polling for
RUNNING, before polling for completion, and between status checks), each through the
`time` module of airflow.providers.amazon.aws.hooks.batch_client. moto's Batch finishes a job
at once, so those sleeps are wall time only. When that module is imported, its `time` is
replaced by one whose sleep() waits the delay scaled by BACKTEST_BATCH_CLOCK_SCALE: every
delay the provider picks, and every status poll, still happens, just sooner.

Each sleep is appended to the file BACKTEST_BATCH_CLOCK_LOG names ("requested slept" in
seconds), so the test can assert the clock was in force for each job (it fails if the
provider's names change and the patch no longer applies).
"""

import importlib.abc
import os
import sys
import time as _time

_TARGET = "airflow.providers.amazon.aws.hooks.batch_client"
_LOG = os.environ.get("BACKTEST_BATCH_CLOCK_LOG")
_SCALE = float(os.environ.get("BACKTEST_BATCH_CLOCK_SCALE", "0.02"))


class _ScaledTime:
    """The `time` module, but sleep() waits `requested * scale` and logs it."""

    def __getattr__(self, name):
        return getattr(_time, name)

    @staticmethod
    def sleep(seconds):
        slept = max(0.0, float(seconds)) * _SCALE
        if _LOG:
            with open(_LOG, "a") as f:
                f.write(f"{float(seconds):.3f} {slept:.3f}\n")
        _time.sleep(slept)


def _patch(module):
    hook = module.BatchClientHook  # fails loudly if the provider renamed it
    if not callable(getattr(hook, "delay", None)) or getattr(module, "time", None) is not _time:
        raise RuntimeError(f"{_TARGET} no longer sleeps through time.sleep in BatchClientHook.delay")
    module.time = _ScaledTime()


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != _TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                exec_module = spec.loader.exec_module

                def exec_and_patch(module, _exec=exec_module):
                    _exec(module)
                    _patch(module)

                spec.loader.exec_module = exec_and_patch
                return spec
        return None


if _LOG:
    sys.meta_path.insert(0, _Finder())
