"""The skops allow-list is exact: every type the built-in models save is on it, and nothing else is.

``TRUSTED_TYPES`` (plugins/tabular/models/_common.py) names each type beyond
skops's own trusted set. Each skops-saved family is fitted with its defaults
for binary, multiclass and regression (text: binary and multiclass) and saved;
``skops.io.get_untrusted_types`` must list only trusted names, and together
they must cover the whole list, so an entry no model needs is noticed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from automl.catalog import build_catalog
from automl.specs import SearchContext
from automl_plugins.tabular.demo import churn_frame
from automl_plugins.tabular.models._common import TRUSTED_TYPES

TABULAR = ("linear", "random_forest", "extra_trees", "hist_gb", "mlp")
TEXT = ("complement_nb", "tfidf_logreg", "tfidf_svm", "svd_lightgbm")  # embedding_svm adds only its own class
TEXT_TYPES = {"automl_plugins.text.models.features.CompactTfidfVectorizer",
              "automl_plugins.text.models.embedding.SentenceEmbedding"}


@pytest.fixture(scope="module")
def saved_types(tmp_path_factory) -> dict[str, set[str]]:
    """Untrusted type names of every saved skops file, by ``task:model:kind``."""
    import skops.io

    from automl_plugins.text.sample import tickets_frame

    folder = tmp_path_factory.mktemp("skops_types")
    frame = churn_frame(150, seed=0)
    frame.loc[::7, "tenure_months"] = np.nan
    frame.to_csv(folder / "tabular.csv", index=False)
    tickets = tickets_frame(150, seed=0)
    tickets["billing"] = np.where(tickets["team"] == tickets["team"].iloc[0], "yes", "no")  # a binary target
    tickets.to_csv(folder / "text.csv", index=False)
    catalog = build_catalog()
    cases = [("tabular", "tabular.csv", target, TABULAR) for target in ("churned", "region", "monthly_charges")]
    cases += [("text", "text.csv", target, TEXT) for target in ("billing", "team")]
    found: dict[str, set[str]] = {}
    for task_name, data, target, keys in cases:
        task = catalog.task(task_name)
        dataset = task.load(folder / data, {"target": target})
        metric = catalog.metrics_for(task_name, dataset.kind)[0]
        ctx = SearchContext(task=task_name, kind=dataset.kind, metric=metric, classes=dataset.classes,
                            info=dataset.info)
        for key in keys:
            spec = catalog.model(task_name, key)
            if not spec.supports(dataset.kind):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                params = {**spec.defaults, **({"n_estimators": 20} if "n_estimators" in spec.defaults else {})}
                model = spec.build(params, ctx).fit(dataset.X, np.asarray(dataset.y))  # fewer trees: same types
            out = folder / f"{task_name}-{key}-{target}"
            out.mkdir()
            spec.save(model, out)
            names: set[str] = set()
            for file in out.rglob("*.skops"):
                names |= set(skops.io.get_untrusted_types(file=file))
            spec.load(out)  # and it loads back under the list
            found[f"{task_name}:{key}:{dataset.kind}"] = names
    return found


def test_every_saved_type_is_trusted(saved_types):
    for case, names in saved_types.items():
        allowed = TRUSTED_TYPES | (TEXT_TYPES if case.startswith("text:") else set())
        assert names <= allowed, f"{case} saves untrusted types {sorted(names - allowed)}"


def test_every_trusted_type_is_needed(saved_types):
    used = set().union(*saved_types.values())
    assert used >= TRUSTED_TYPES, f"no built-in model needs {sorted(TRUSTED_TYPES - used)}"


def test_the_list_holds_exact_names_only():
    for name in TRUSTED_TYPES:
        assert not name.endswith(".") and "*" not in name and name.count(".") >= 1
    assert not any(name.startswith(("builtins.", "os.", "subprocess.", "numpy.testing")) for name in TRUSTED_TYPES)


def test_every_kind_was_saved(saved_types):
    expected = {"text:tfidf_svm:binary", "text:tfidf_svm:multiclass", "tabular:hist_gb:regression",
                "tabular:mlp:binary", "tabular:random_forest:multiclass"}
    assert expected <= set(saved_types)
