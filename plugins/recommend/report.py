"""The recommend task's report sections: every ranking metric per model, example users, and coverage.

The metrics table reads the leaderboard. The examples and the coverage come
from the final model's validation lists (``best/validation.npz``: for every
held-out interaction, its user's top-K list) and the interactions, read again
from the run's data file: a few users' latest items, what the model recommends
them and which of those they really went on to interact with; and how much of
the catalogue each model family recommends, and how popular the recommended
items are compared with what users interact with. Items are shown by a title
when the interactions file has a title column (``title``, ``name``...).
"""

from __future__ import annotations

import html
import logging
from typing import Any

import numpy as np

from automl.kit import html_table, markdown_table, note_section
from automl_plugins.recommend.catalogue import title_column

log = logging.getLogger(__name__)

METRICS = ("ndcg", "recall", "map", "hit_rate", "coverage")
TOP = 10
EXAMPLES_TITLE = "Recommendations: examples and coverage"
N_EXAMPLES = 4
RECENT = 5
SHOWN_K = 10
POPULARITY_BINS = 10


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
    if run.record.task != "recommend":
        return None
    sections = [metrics_section(run)]
    try:
        examples = examples_section(run)
    except Exception as exc:  # noqa: BLE001 - a section is never worth losing the report
        log.warning("the recommendation examples were left out: %s", exc)
        examples = None
    if examples is not None:
        sections.append(examples)
    return sections


def metrics_section(run: Any) -> dict[str, str]:
    try:
        schema = run.schema()
    except OSError:
        schema = {}
    k = schema.get("top_k", 10)
    rows = run.record.data.rows
    intro = (f"{schema.get('n_users', '?')} users, {schema.get('n_items', '?')} items and "
             f"{rows if rows is not None else '?'} interactions (user column "
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
    return {"title": "Recommendations: best trial of each model",
            "html": f"<p>{html.escape(intro)}</p>{html_table(header, cells)}", "markdown": markdown}


# -- examples and coverage ---------------------------------------------------------------------------
def load_interactions(run: Any) -> tuple[Any, Any] | str:
    """The run's Dataset and its raw table, read again from the data file; a reason string when impossible."""
    from automl.kit import read_table, training_source
    from automl_plugins.recommend.task import load

    schema = run.schema()
    found = training_source(run, schema)  # a recommend schema names no target: the run's, as given
    if isinstance(found, str):
        return found
    path, options = found
    for key in ("user_column", "item_column", "rating_column", "time_column"):
        if schema.get(key) is not None:
            options[key] = schema[key]
        elif key in ("rating_column", "time_column"):
            options[key] = "none"  # the run had none: do not detect one now
    return load(path, options), read_table(path)


def item_titles(frame: Any, schema: dict[str, Any]) -> dict[str, str]:
    """Item id (as a text key) -> title, from a title-like column of the interactions, if there is one."""
    from automl_plugins.recommend.columns import id_keys

    roles = {schema.get(k) for k in ("user_column", "item_column", "rating_column", "time_column")}
    column = title_column(frame, roles)
    item_column = schema.get("item_column")
    if column is None or item_column not in frame.columns:
        return {}
    pairs = frame[[item_column, column]].dropna()
    keys = id_keys(pairs[item_column])
    return {str(k): str(v) for k, v in zip(keys[::-1], pairs[column].to_numpy()[::-1], strict=True)}


def catalogue_titles(run: Any, schema: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """Titles from the catalogue given with ``--items`` (none without one), and why they are missing if they are."""
    from automl.kit import UserError
    from automl_plugins.recommend.catalogue import titles

    path = run.record.task_options.get("items")  # the task's own option (--items), not a run.json key
    if not path:
        return {}, None
    try:
        return titles(path, str(schema.get("item_column"))), None
    except UserError as exc:  # moved or edited since the fit: the examples show item ids instead
        return {}, f"Items are shown by id: the item catalogue could not be read ({exc})."


def example_users(users: np.ndarray, n: int = N_EXAMPLES) -> list[int]:
    """``n`` validation users spread evenly over the sorted user codes (not the best-served ones)."""
    unique = np.unique(users)
    if len(unique) <= n:
        return [int(u) for u in unique]
    return [int(unique[int(round(i))]) for i in np.linspace(0, len(unique) - 1, n)]


def popularity_shares(train_items: np.ndarray, recommended: np.ndarray, n_items: int,
                      bins: int = POPULARITY_BINS) -> tuple[list[float], list[float], list[float]]:
    """Items ranked by training popularity and cut into ``bins`` groups: each group's share of the
    training interactions and of the recommendations (x = the group's upper popularity percentile)."""
    counts = np.bincount(train_items, minlength=n_items)
    rank = np.empty(n_items, dtype=int)
    rank[np.argsort(-counts, kind="stable")] = np.arange(n_items)
    group = np.minimum(rank * bins // max(n_items, 1), bins - 1)
    interactions = np.bincount(group, weights=counts, minlength=bins) / max(counts.sum(), 1)
    recs = recommended[(recommended >= 0) & (recommended < n_items)]
    shown = np.bincount(group[recs], minlength=bins) / max(len(recs), 1)
    x = [100.0 * (g + 1) / bins for g in range(bins)]
    return x, [float(v) for v in interactions], [float(v) for v in shown]


def examples_section(run: Any) -> dict[str, str] | None:
    from automl.kit import charts, load_validation

    if not (run.dir.best / "model.json").is_file():
        return None
    validation = load_validation(run.dir.best)
    if validation is None or np.asarray(validation.prediction).ndim != 3:
        return note_section(EXAMPLES_TITLE, "The final model's validation lists were not saved, so there are no "
                                            "examples to show.")
    schema = run.schema()
    k = int(schema.get("top_k") or SHOWN_K)
    shown_k = min(k, SHOWN_K)
    item_ids = [str(i) for i in schema.get("item_ids") or []]
    user_ids = [str(u) for u in schema.get("user_ids") or []]
    y = np.asarray(validation.y, dtype=np.int64)
    lists = np.asarray(validation.prediction)[:, 0, :].astype(np.int64)
    parts_html: list[str] = []
    parts_md: list[str] = []

    loaded = load_interactions(run)
    if isinstance(loaded, str):
        note = f"No example users: {loaded}."
        parts_html.append(f"<p>{html.escape(note)}</p>")
        parts_md += [note, ""]
        dataset, titles = None, {}
    else:
        dataset, frame = loaded
        titles = item_titles(frame, schema)
        from_catalogue, problem = catalogue_titles(run, schema)
        titles.update(from_catalogue)
        if problem:
            parts_html.append(f"<p>{html.escape(problem)}</p>")
            parts_md += [problem, ""]
        if np.asarray(validation.index, dtype=int).max(initial=-1) >= len(dataset.y):
            dataset = None

    def item_name(code: int) -> str:
        key = item_ids[code] if 0 <= code < len(item_ids) else str(code)
        return f"{titles[key]} ({key})" if key in titles else key

    if dataset is not None:
        held = np.zeros(len(dataset.y), dtype=bool)
        held[np.asarray(validation.index, dtype=int)] = True
        X = dataset.X
        header = ["user", f"latest {RECENT} items (training)", f"top {shown_k} recommended (✓ = held out, "
                                                                "interacted with later)"]
        rows_html, rows_md = [], []
        for user in example_users(y[:, 0]):
            mine = np.flatnonzero((X["user"].to_numpy() == user) & ~held)
            recent = mine[np.argsort(-X["time"].to_numpy()[mine], kind="stable")][:RECENT]
            later = set(y[y[:, 0] == user, 1].tolist())
            first = int(np.flatnonzero(y[:, 0] == user)[0])
            recommended = [int(c) for c in lists[first, :shown_k] if c >= 0]
            name = user_ids[user] if user < len(user_ids) else str(user)
            recent_names = [item_name(int(c)) for c in X["item"].to_numpy()[recent]]
            recs = [(item_name(c), c in later) for c in recommended]
            hits = sum(hit for _, hit in recs)
            rows_html.append(
                f"<tr><td>{html.escape(name)}<br><small>{hits} of {len(later)} held-out found</small></td>"
                f"<td>{'<br>'.join(html.escape(r) for r in recent_names) or '–'}</td>"
                "<td><ol style=\"margin:0;padding-left:1.6em\">"
                + "".join(f"<li>{'<strong>✓ ' if hit else ''}{html.escape(r)}{'</strong>' if hit else ''}</li>"
                          for r, hit in recs) + "</ol></td></tr>")
            rows_md.append([f"{name} ({hits} of {len(later)} found)", ", ".join(recent_names) or "–",
                            ", ".join(("✓ " if hit else "") + r for r, hit in recs) or "–"])
        intro = (f"{len(rows_md)} validation users spread over the user list (not picked for being served well): "
                 "their latest interactions in training, and the final model's top "
                 f"{shown_k} for them from training alone; a ✓ marks an item the user really interacted with in "
                 "the held-out part.")
        parts_html.append(f"<h3>Example users</h3><p>{html.escape(intro)}</p><table id=\"recommendation-examples\">"
                          "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header)
                          + "</tr></thead><tbody>" + "".join(rows_html) + "</tbody></table>")
        parts_md += ["**Example users**", "", intro, "", markdown_table(header, rows_md), ""]

    # coverage: every family's best trial (leaderboard) and the final model (its validation lists)
    n_items = int(schema.get("n_items") or len(item_ids) or 1)
    first_rows = np.unique(y[:, 0], return_index=True)[1]
    final_lists = lists[first_rows, :k]
    final_coverage = len(np.unique(final_lists[final_lists >= 0])) / max(n_items, 1)
    families = [(r["model"], (r.get("metrics") or {}).get("coverage"), bool(r.get("selected")))
                for r in best_per_model(run.leaderboard_rows())]
    labels = ["final model"] + [m for m, c, _ in families if c is not None]
    values = [final_coverage] + [float(c) for _, c, _ in families if c is not None]
    coverage_caption = (f"Share of the {n_items} catalogue items recommended (top {k}) to at least one of the "
                        f"{len(first_rows)} validation users: the final model and the best trial of each model family.")
    rows = [[label, f"{value:.1%}"] for label, value in zip(labels, values, strict=True)]
    popularity = None
    if dataset is not None:
        train_items = dataset.X["item"].to_numpy()[~held]
        popularity = popularity_shares(train_items, final_lists.ravel(), n_items)
    popularity_caption = ("Items ranked by how often users interacted with them in training, in groups of 10% "
                          "(left: the most popular tenth): each group's share of the training interactions and of "
                          "the final model's recommendations. A recommender that only follows popularity piles up "
                          "on the left.")
    drawn = []
    if charts.available():
        try:
            drawn.append(charts.bar_chart("coverage", f"Catalogue coverage at K = {k}", labels, values,
                                          xlabel="share of the catalogue recommended", caption=coverage_caption,
                                          highlight=0, value_format="{:.0%}"))
            if popularity is not None:
                x, interactions, shown = popularity
                drawn.append(charts.line_chart(
                    "recommended_popularity", "Popularity of recommended items",
                    {"training interactions": (x, interactions), "recommendations": (x, shown)},
                    xlabel="item popularity rank (percentile, most popular first)", ylabel="share",
                    caption=popularity_caption))
        except Exception as exc:  # noqa: BLE001 - the table below still has the numbers
            log.warning("a recommendation chart was left out: %s", exc)
    parts_html.append("<h3>Coverage</h3>")
    parts_md += ["**Coverage**", "", coverage_caption, "", markdown_table(["model", "coverage"], rows)]
    if drawn:
        parts_html.append('<div class="charts">' + "".join(c.html() for c in drawn) + "</div>")
    else:
        parts_html.append(f"<p>{html.escape(coverage_caption)}</p>" + html_table(["model", "coverage"], rows))
    if popularity is not None:
        x, interactions, shown = popularity
        top = f"{shown[0]:.0%} of the recommendations go to the most popular 10% of items, which get " \
              f"{interactions[0]:.0%} of the training interactions."
        parts_md += ["", top]
        parts_html.append(f"<p>{html.escape(top)}</p>")
    return {"title": EXAMPLES_TITLE, "html": "".join(parts_html), "markdown": "\n".join(parts_md)}
