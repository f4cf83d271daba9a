"""The recommend task's report sections: every ranking metric per model, example users, and coverage.

The metrics table reads the leaderboard. The examples and the coverage come
from the final model's validation lists (``best/validation.npz``: for every
held-out interaction, its user's top-K list) and the interactions, read again
from the run's data file: a few users' latest items, what the model recommends
them and which of those they really went on to interact with; and how much of
the catalogue each model family recommends, and how popular the recommended
items are compared with what users interact with. Items are shown by a title
when the interactions file has a title column (``title``, ``name``...).

The sections are data (``automl.kit.Section``: paragraphs, tables, charts):
the core renders their HTML and Markdown and escapes every user id and item
title. The task declares them (``TaskSpec.report``), so they are asked for
only for runs of the recommend task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.kit import Figures, Heading, Lines, Paragraph, Section, Strong, Table, note_section
from automl_plugins.recommend.catalogue import title_column

if TYPE_CHECKING:
    from automl.kit import Chart

log = logging.getLogger(__name__)

METRICS = ("ndcg", "recall", "map", "hit_rate", "coverage")
TOP = 10
EXAMPLES_TITLE = "Recommendations: examples and coverage"
N_EXAMPLES = 4
RECENT = 5
SHOWN_K = 10
POPULARITY_BINS = 10
POPULARITY_CAPTION = ("Items ranked by how often users interacted with them in training, in groups of 10% "
                      "(left: the most popular tenth): each group's share of the training interactions and of "
                      "the final model's recommendations. A recommender that only follows popularity piles up "
                      "on the left.")


def best_per_model(board: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The best completed trial of each model family, best first."""
    seen, rows = set(), []
    for row in board:
        if row.get("score") is None or row["model"] in seen or row.get("trial") is None:
            continue
        seen.add(row["model"])
        rows.append(row)
    return rows[:TOP]


def section(run: Any) -> list[Section]:
    """The recommend task's sections (``TaskSpec.report``: asked for only for its runs): metrics, examples."""
    sections = [metrics_section(run)]
    try:
        examples = examples_section(run)
    except Exception as exc:  # noqa: BLE001 - a section is never worth losing the report (or the metrics one)
        log.warning("the recommendation examples were left out: %s", exc)
        examples = None
    if examples is not None:
        sections.append(examples)
    return sections


def metrics_section(run: Any) -> Section:
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
    table = Table(header, cells, numeric=tuple(range(1, len(header))))
    return Section("Recommendations: best trial of each model", (Paragraph(intro), table))


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


def examples_section(run: Any) -> Section | None:
    """Example users' top-K lists (when the interactions can be read again), then the catalogue coverage."""
    from automl.kit import load_validation

    if not (run.dir.best / "model.json").is_file():
        return None
    validation = load_validation(run.dir.best)
    if validation is None or np.asarray(validation.prediction).ndim != 3:
        return note_section(EXAMPLES_TITLE, "The final model's validation lists were not saved, so there are no "
                                            "examples to show.")
    schema = run.schema()
    k = int(schema.get("top_k") or SHOWN_K)
    y = np.asarray(validation.y, dtype=np.int64)
    lists = np.asarray(validation.prediction)[:, 0, :].astype(np.int64)
    notes, dataset, titles = interactions_read_again(run, schema, validation)
    blocks: list[Heading | Paragraph | Table | Figures] = [*notes]
    train_items = None
    if dataset is not None:
        held = np.zeros(len(dataset.y), dtype=bool)
        held[np.asarray(validation.index, dtype=int)] = True
        names = item_namer([str(i) for i in schema.get("item_ids") or []], titles)
        users = [str(u) for u in schema.get("user_ids") or []]
        blocks += example_users_blocks(dataset.X, held, y, lists[:, :min(k, SHOWN_K)], names, users)
        train_items = dataset.X["item"].to_numpy()[~held]
    blocks += coverage_blocks(run, schema, y, lists[:, :k], train_items)
    return Section(EXAMPLES_TITLE, tuple(blocks))


def interactions_read_again(run: Any, schema: dict[str, Any],
                            validation: Any) -> tuple[list[Paragraph], Any | None, dict[str, str]]:
    """The run's Dataset (None when it cannot be read again or no longer fits the validation rows), the item
    titles, and notes saying what is missing."""
    loaded = load_interactions(run)
    if isinstance(loaded, str):
        return [Paragraph(f"No example users: {loaded}.", note=True)], None, {}
    dataset, frame = loaded
    titles = item_titles(frame, schema)
    from_catalogue, problem = catalogue_titles(run, schema)
    titles.update(from_catalogue)
    notes = [Paragraph(problem, note=True)] if problem else []
    if np.asarray(validation.index, dtype=int).max(initial=-1) >= len(dataset.y):
        dataset = None
    return notes, dataset, titles


def item_namer(item_ids: list[str], titles: dict[str, str]) -> Callable[[int], str]:
    """Item code -> "title (id)" when the item has a title, else its id."""
    def item_name(code: int) -> str:
        key = item_ids[code] if 0 <= code < len(item_ids) else str(code)
        return f"{titles[key]} ({key})" if key in titles else key

    return item_name


def example_users_blocks(X: Any, held: np.ndarray, y: np.ndarray, lists: np.ndarray,
                         item_name: Callable[[int], str], user_ids: list[str]) -> list[Heading | Paragraph | Table]:
    """A few validation users: their latest training items and the final model's list (``lists``: its top
    items for every held-out row), the items they went on to interact with marked ✓."""
    shown_k = lists.shape[1]
    rows = [example_user_row(user, X, held, y, lists, item_name, user_ids) for user in example_users(y[:, 0])]
    header = ["user", f"latest {RECENT} items (training)", f"top {shown_k} recommended (✓ = held out, "
                                                            "interacted with later)"]
    intro = (f"{len(rows)} validation users spread over the user list (not picked for being served well): "
             "their latest interactions in training, and the final model's top "
             f"{shown_k} for them from training alone; a ✓ marks an item the user really interacted with in "
             "the held-out part.")
    return [Heading("Example users"), Paragraph(intro), Table(header, rows, css_id="recommendation-examples")]


def example_user_row(user: int, X: Any, held: np.ndarray, y: np.ndarray, lists: np.ndarray,
                     item_name: Callable[[int], str], user_ids: list[str]) -> list[Lines]:
    mine = np.flatnonzero((X["user"].to_numpy() == user) & ~held)
    recent = mine[np.argsort(-X["time"].to_numpy()[mine], kind="stable")][:RECENT]
    later = set(y[y[:, 0] == user, 1].tolist())
    first = int(np.flatnonzero(y[:, 0] == user)[0])
    recommended = [int(c) for c in lists[first] if c >= 0]
    hits = sum(c in later for c in recommended)
    name = user_ids[user] if user < len(user_ids) else str(user)
    return [Lines([name, f"{hits} of {len(later)} held-out found"]),
            Lines([item_name(int(c)) for c in X["item"].to_numpy()[recent]]),
            Lines([Strong(f"✓ {item_name(c)}") if c in later else item_name(c) for c in recommended], ordered=True)]


def coverage_blocks(run: Any, schema: dict[str, Any], y: np.ndarray, lists: np.ndarray,
                    train_items: np.ndarray | None) -> list[Heading | Paragraph | Table | Figures]:
    """How much of the catalogue every family's best trial (leaderboard) and the final model (its validation
    ``lists``, top K) recommend, and how popular the final model's recommendations are (given ``train_items``)."""
    k = lists.shape[1]
    n_items = int(schema.get("n_items") or len(schema.get("item_ids") or []) or 1)
    first_rows = np.unique(y[:, 0], return_index=True)[1]
    final_lists = lists[first_rows]
    final_coverage = len(np.unique(final_lists[final_lists >= 0])) / max(n_items, 1)
    families = [(r["model"], (r.get("metrics") or {}).get("coverage")) for r in best_per_model(run.leaderboard_rows())]
    labels = ["final model"] + [m for m, c in families if c is not None]
    values = [final_coverage] + [float(c) for _, c in families if c is not None]
    caption = (f"Share of the {n_items} catalogue items recommended (top {k}) to at least one of the "
               f"{len(first_rows)} validation users: the final model and the best trial of each model family.")
    rows = [[label, f"{value:.1%}"] for label, value in zip(labels, values, strict=True)]
    popularity = None if train_items is None else popularity_shares(train_items, final_lists.ravel(), n_items)
    drawn = coverage_charts(k, labels, values, caption, popularity)
    blocks: list[Heading | Paragraph | Table | Figures] = [Heading("Coverage")]
    if drawn:
        blocks += [Figures(drawn), Table(["model", "coverage"], rows, numeric=(1,), collapsed="Coverage as a table")]
    else:
        blocks += [Paragraph(caption), Table(["model", "coverage"], rows, numeric=(1,))]
    if popularity is not None:
        _, interactions, shown = popularity
        blocks.append(Paragraph(f"{shown[0]:.0%} of the recommendations go to the most popular 10% of items, which "
                                f"get {interactions[0]:.0%} of the training interactions."))
    return blocks



def coverage_charts(k: int, labels: list[str], values: list[float], caption: str,
                    popularity: tuple[list[float], list[float], list[float]] | None) -> list[Chart]:
    """The coverage bars and the popularity lines; none without matplotlib (the table then says it all)."""
    from automl.kit import charts

    if not charts.available():
        return []
    drawn: list[Chart] = []
    try:
        drawn.append(charts.bar_chart("coverage", f"Catalogue coverage at K = {k}", labels, values,
                                      xlabel="share of the catalogue recommended", caption=caption,
                                      highlight=0, value_format="{:.0%}"))
        if popularity is not None:
            x, interactions, shown = popularity
            drawn.append(charts.line_chart(
                "recommended_popularity", "Popularity of recommended items",
                {"training interactions": (x, interactions), "recommendations": (x, shown)},
                xlabel="item popularity rank (percentile, most popular first)", ylabel="share",
                caption=POPULARITY_CAPTION))
    except Exception as exc:  # noqa: BLE001 - the table has the numbers
        log.warning("a recommendation chart was left out: %s", exc)
    return drawn
