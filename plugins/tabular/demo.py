"""A generated customer-churn table: the project's own demo and test data.

The churn probability depends on the plan, tenure, support calls, monthly
charges and a signup date, with thresholds and an interaction (new customers,
many support calls, premium without autopay), plus noise: tree models beat a
linear one, a good model clearly beats chance, and none can be perfect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PLANS = ["basic", "standard", "premium", "enterprise"]
REGIONS = ["north", "south", "east", "west", "central"]


def churn_frame(n_rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    plan = rng.choice(PLANS, size=n_rows, p=[0.4, 0.3, 0.2, 0.1])
    tenure = rng.gamma(2.0, 12.0, size=n_rows).round(0)
    calls = rng.poisson(1.5, size=n_rows)
    charges = (20 + 15 * pd.Series(plan).map({p: i for i, p in enumerate(PLANS)}).to_numpy()
               + rng.normal(0, 8, size=n_rows)).round(2)
    autopay = rng.random(n_rows) < 0.55
    signup = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 900, n_rows), unit="D")
    logit = (
        -1.6
        - 0.03 * tenure
        + 1.5 * (tenure < 6)
        + 0.3 * calls
        + 1.2 * (calls >= 4)
        + 0.025 * (charges - 40)
        - 0.8 * autopay
        + np.where((plan == "premium") & ~autopay, 1.2, 0.0)
        + np.where(plan == "basic", 0.6, 0.0)
        + 0.4 * (signup.month.isin([11, 12]))
        + rng.normal(0, 0.5, size=n_rows)
    )
    churned = rng.random(n_rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{100000 + i}" for i in range(n_rows)],
            "plan": plan,
            "region": rng.choice(REGIONS, size=n_rows),
            "tenure_months": tenure,
            "support_calls": calls,
            "monthly_charges": charges,
            "autopay": np.where(autopay, "yes", "no"),
            "signup_date": signup.strftime("%Y-%m-%d"),
            "churned": np.where(churned, "yes", "no"),
        }
    )
    missing = rng.random(n_rows) < 0.05
    frame.loc[missing, "monthly_charges"] = np.nan
    return frame


def main(argv: list[str] | None = None) -> None:
    """Write a training table and a table of new customers (without the target)."""
    import sys
    from pathlib import Path

    train_path, new_path = (argv or sys.argv[1:]) or ["demo/customers.csv", "demo/new_customers.csv"]
    Path(train_path).parent.mkdir(parents=True, exist_ok=True)
    churn_frame(3000, seed=0).to_csv(train_path, index=False)
    churn_frame(200, seed=1).drop(columns=["churned"]).to_csv(new_path, index=False)
    print(f"wrote {train_path} (3000 customers) and {new_path} (200 new customers)")


if __name__ == "__main__":
    main()
