"""The recommend task's report section: the data, the validation scheme, and every ranking metric per model."""

from __future__ import annotations

import html
from typing import Any

METRICS = ("ndcg", "recall", "map", "hit_rate", "coverage")
TOP = 10


def best_per_model(board: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The best completed trial of each model family, best first."""
    seen, rows = set(), []
    for row in board:
        if row.get("score") is None or row["model"] in seen or row.get("trial") is None:
            continue
        seen.add(row["model"])
        rows.append(row)
    return rows[:TOP]


def section(run: Any) -> list[dict[str, str]] | None:
    if run.manifest.get("task") != "recommend":
        return None
    try:
        schema = run.schema()
    except OSError:
        schema = {}
    k = schema.get("top_k", 10)
    intro = (f"{schema.get('n_users', '?')} users, {schema.get('n_items', '?')} items and "
             f"{run.manifest.get('data', {}).get('rows', '?')} interactions (user column "
             f"'{schema.get('user_column')}', item column '{schema.get('item_column')}', rating "
             f"'{schema.get('rating_column') or '-'}', time '{schema.get('time_column') or '-'}'). Validation holds "
             "out each user's latest 20% of interactions (at random per user without a time column); metrics are "
             f"at K = {k} over the validation users. Users unknown at prediction time get the most popular items "
             "(fallback = true).")
    header = ["model", "trial", *METRICS]
    cells = []
    for row in best_per_model(run.leaderboard_rows()):
        metrics = {**row.get("metrics", {}), row["metric"]: row["score"]}
        cells.append([row["model"], str(row["trial"]),
                      *[f"{metrics[m]:.4f}" if metrics.get(m) is not None else "–" for m in METRICS]])
    markdown = "\n".join([intro, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                          *["| " + " | ".join(c) + " |" for c in cells]])
    table = "".join(f"<tr>{''.join(f'<td>{html.escape(v)}</td>' for v in c)}</tr>" for c in cells)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    page = f"<p>{html.escape(intro)}</p><table><thead><tr>{head}</tr></thead><tbody>{table}</tbody></table>"
    return [{"title": "Recommendations: best trial of each model", "html": page, "markdown": markdown}]
