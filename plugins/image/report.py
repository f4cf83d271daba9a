"""The image task's report section: how many images per second each model predicts.

The core measures every trial's prediction time on its validation images
(``predict_ms_per_1k``, which for this task includes reading the pixels from
the cache); this turns it into the throughput a product team plans with.
"""

from __future__ import annotations

import html
from typing import Any

TOP = 10


def images_per_second(ms_per_1k: float | None) -> float | None:
    if not ms_per_1k:
        return None
    return 1e6 / float(ms_per_1k)


def throughput_rows(board: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for row in board:
        speed = images_per_second(row.get("predict_ms_per_1k"))
        if row.get("score") is None or speed is None:
            continue
        rows.append({"rank": row["rank"], "trial": row["trial"], "model": row["model"], "score": row["score"],
                     "images_per_second": speed, "final": bool(row.get("selected"))})
    return rows[:TOP]


def section(run: Any) -> list[dict[str, str]] | None:
    if run.manifest.get("task") != "image":
        return None
    rows = throughput_rows(run.leaderboard_rows())
    if not rows:
        return None
    header = ["#", "trial", "model", "score", "images/s", "final"]
    cells = [[str(r["rank"]), "" if r["trial"] is None else str(r["trial"]), r["model"], f"{r['score']:.4g}",
              f"{r['images_per_second']:,.0f}", "*" if r["final"] else ""] for r in rows]
    intro = ("Images classified per second on this machine, measured on the validation images "
             "(reading cached pixels included; the first read from disk is slower).")
    markdown = "\n".join([intro, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                          *["| " + " | ".join(c) + " |" for c in cells]])
    table = "".join(f"<tr>{''.join(f'<td>{html.escape(v)}</td>' for v in c)}</tr>" for c in cells)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    page = f"<p>{html.escape(intro)}</p><table><thead><tr>{head}</tr></thead><tbody>{table}</tbody></table>"
    return [{"title": "Inference speed", "html": page, "markdown": markdown}]
