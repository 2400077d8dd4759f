"""Writes the sample results of examples/backtests/grid_search.yaml with the real helper.

Each of the 9 runs plays a job: a seeded synthetic daily return series, its statistics,
and write_metrics into examples/results/<layout of the results bucket>. Run 7 "fails": its
folder holds only a job log, as a crashed job leaves it. Deterministic: same bytes each time.

    python3 examples/results/generate.py
"""

import json
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "src", "render", "templates"))

from backtest_gitops_support.metrics import write_metrics  # noqa: E402

DAG_ID = "grid_search"
DAG_RUN_ID = "manual__2026-01-05T09.00.00"
TAKE_PROFIT = [5.0, 10.0, 15.0]
STOP_LOSS = [3.0, 5.0, 8.0]
DAYS = 252


def moments(returns):
    n = len(returns)
    mean = sum(returns) / n
    m2 = sum((r - mean) ** 2 for r in returns) / n
    m3 = sum((r - mean) ** 3 for r in returns) / n
    m4 = sum((r - mean) ** 4 for r in returns) / n
    sd = math.sqrt(m2)
    return mean / sd, m3 / sd**3, m4 / m2**2


def main():
    root = os.path.join(HERE, "backtests", DAG_ID, DAG_RUN_ID, DAG_ID)
    index = 0
    for tp in TAKE_PROFIT:
        for sl in STOP_LOSS:
            folder = os.path.join(root, "run-%05d" % index)
            params = {
                "strategy_class": "LongShortEquityStrategy",
                "start_date": "2022-01-01",
                "end_date": "2022-12-31",
                "initial_capital": 1000000,
                "factors": ["DebtToEquity"],
                "rebalance_period": 1,
                "take_profit_pct": int(tp),
                "stop_loss_pct": int(sl),
            }
            if index == 7:
                os.makedirs(folder, exist_ok=True)
                with open(os.path.join(folder, "job.log"), "w") as log:
                    log.write("Traceback (most recent call last):\nMemoryError: factor matrix too large\n")
                index += 1
                continue
            rng = random.Random(1000 + index)
            drift = 0.0002 + 0.00004 * tp - 0.00003 * abs(sl - 5)
            returns = [rng.gauss(drift, 0.01) - (0.03 if rng.random() < 0.01 else 0) for _ in range(DAYS)]
            daily_sharpe, skew, kurtosis = moments(returns)
            equity, peak, drawdown = 1.0, 1.0, 0.0
            for r in returns:
                equity *= 1 + r
                peak = max(peak, equity)
                drawdown = min(drawdown, equity / peak - 1)
            env = {
                "BACKTEST_DAG_ID": DAG_ID,
                "BACKTEST_STRATEGY": DAG_ID,
                "BACKTEST_RUN_INDEX": str(index),
                "BACKTEST_PARAMS": json.dumps(params, separators=(",", ":")),
            }
            os.environ.update(env)
            write_metrics(
                {
                    "sharpe": round(daily_sharpe * math.sqrt(DAYS), 4),
                    "total_return": round(equity - 1, 4),
                    "max_drawdown": round(drawdown, 4),
                    "trades": 40 + 7 * index,
                },
                uri=folder,
                n_observations=DAYS,
                skew=round(skew, 4),
                kurtosis=round(kurtosis, 4),
                periods_per_year=DAYS,
            )
            index += 1


if __name__ == "__main__":
    main()
