"""Names of the user attributes automl writes on an Optuna trial.

They sit at the bottom of the layers (docs/architecture.md) because both the
storage (which retries a dead worker's trial without its failure marks) and the
search and leaderboard above it read and write them.
"""

FAIL_REASON = "fail_reason"  # why a trial failed: one line, shown on the leaderboard
TIE_BREAK_ATTR = "tie_break_metric"  # on the study: the metric that orders tied trials (MetricSpec.tie_breaker)
INTERRUPTED_ATTR = "interrupted"  # the trial's process was killed or its worker lost, not a failure of the model
