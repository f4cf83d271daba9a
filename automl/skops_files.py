"""Saving models with skops, and loading them without running code from the file.

skops rebuilds objects without unpickling them. skops itself trusts a fixed
set of harmless types (scikit-learn's estimators, builtin containers and
numbers, NumPy and SciPy ufuncs and arrays); every other type a file names
must be on :data:`SKOPS_TRUSTED_TYPES`, an exact list of fully-qualified names
(never a prefix: ``numpy.`` would trust ``numpy.testing._private.utils.runstring``,
which calls ``exec``), or the file is refused. A plugin adds its own classes by
exact name with :func:`skops_loader`. See docs/security.md: nothing read from a
run folder can execute code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from automl.errors import UserError

MODEL_FILE = "model.skops"

# Types beyond skops's own trusted set that the built-in scikit-learn models save, each with the model that needs
# it. The tabular plugin adds its wrapper subclasses by name; with them this is the whole list, which
# tests/security/test_skops_types.py keeps exact by saving every skops-saved family.
SKOPS_TRUSTED_TYPES: frozenset[str] = frozenset({
    # our wrapper around every scikit-learn model (tabular linear and knn, the text linear models): plain attributes
    "automl.sklearn_models.SklearnModel",
    "numpy.dtype",  # dtypes kept by fitted encoders and estimators (linear, forests, mlp)
    "sklearn.tree._tree.Tree",  # the fitted trees of random_forest and extra_trees (arrays of nodes)
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",  # hist_gb's fitted trees
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",  # mlp: the optimiser's state after fit
    "sklearn.calibration._CalibratedClassifier",  # text tfidf_svm, embedding_svm: sigmoid-calibrated SVMs
    "sklearn.calibration._SigmoidCalibration",  # the same: the per-class sigmoid of the calibration
    # hist_gb with categorical columns: scikit-learn's own preprocessor is FunctionTransformer(partial(check_array,
    # dtype=..., ...)). check_array only validates and converts an array, so binding any arguments to it runs no
    # code; a partial is accepted only around check_array (see _check_partials), never around another callable.
    "functools.partial",
    "sklearn.utils.validation.check_array",
})
PARTIAL_TARGETS = frozenset({"sklearn.utils.validation.check_array"})  # the only callables a partial may wrap
MAX_SCHEMA_BYTES = 256 << 20


def import_skops() -> Any:
    """``skops.io``, imported without importing torch.

    On import skops lists every scikit-learn estimator (``all_estimators``),
    which walks scikit-learn's packages with ``pkgutil.walk_packages``; that
    imports each package it meets, among them the vendored array-API shim for
    torch, and so torch itself: about 2 s, for a TF-IDF model that never needs
    it. The shim is skipped by ``all_estimators`` anyway (``externals`` is
    ignored), so while skops is first imported the shim's name is held by an
    empty stand-in without a ``__path__``, and removed again afterwards: a later
    real import of the shim, or of torch, is untouched.
    """
    import sys

    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import types

    shim = "sklearn.externals.array_api_compat.torch"
    placed = shim not in sys.modules
    if placed:
        sys.modules[shim] = types.ModuleType(shim)
    try:
        import skops.io
    finally:
        if placed:
            sys.modules.pop(shim, None)
    return skops.io


SKOPS_PRELOAD = (import_skops,)  # the ModelSpec.preload of a family saved with save_skops (its import: 0.5 s)


def save_skops(model: Any, folder: Path) -> None:
    import_skops().dump(model, Path(folder) / MODEL_FILE)


def _check_partials(path: Path) -> None:
    """Refuse a ``functools.partial`` around anything but the callables in :data:`PARTIAL_TARGETS`."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("schema.json")
        if info.file_size > MAX_SCHEMA_BYTES:
            raise UserError(f"model file {path} has a schema larger than {MAX_SCHEMA_BYTES >> 20} MB; refusing to "
                            "load it")
        schema = json.loads(archive.read(info))
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("__module__") == "functools" and node.get("__class__") == "partial":
                content = node.get("content")
                func = content.get("func") if isinstance(content, dict) else None
                name = f"{func.get('__module__')}.{func.get('__class__')}" if isinstance(func, dict) else "?"
                if name not in PARTIAL_TARGETS or func.get("__loader__") != "FunctionNode":
                    raise UserError(f"model file {path} binds arguments to {name} (functools.partial), which "
                                    "automl does not trust; refusing to load it")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def load_skops(folder: Path, trusted_types: tuple[str, ...] = ()) -> Any:
    """Load a skops model whose types are all trusted: by skops, on :data:`SKOPS_TRUSTED_TYPES` or in
    ``trusted_types``."""
    skops_io = import_skops()

    path = Path(folder) / MODEL_FILE
    if path.is_symlink() or not path.is_file():
        raise UserError(f"model file {path} is missing; the run's best/ folder is incomplete")
    try:
        untrusted = skops_io.get_untrusted_types(file=path)
        allowed = SKOPS_TRUSTED_TYPES | frozenset(trusted_types)
        foreign = [t for t in untrusted if t not in allowed]
        if foreign:
            raise UserError(f"model file {path} holds the type {', '.join(foreign)}, which automl does not trust; "
                            "refusing to load it")
        if "functools.partial" in untrusted:
            _check_partials(path)
        return skops_io.load(path, trusted=untrusted)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure means a corrupt file
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise UserError(f"model file {path} is corrupt or not a skops file ({detail}); refusing to load it") from exc


def skops_loader(*trusted_types: str) -> Callable[[Path], Any]:
    """A ``ModelSpec.load`` for a plugin whose saved models include its own classes.

    Pass each class by its exact, fully-qualified name, as
    ``skops.io.get_untrusted_types`` reports it, e.g.
    ``skops_loader("automl_knn.model.KnnModel")``. Prefixes are refused: a
    module prefix trusts every function in it, some of which run code.
    """
    for name in trusted_types:
        if not isinstance(name, str) or "." not in name.strip(".") or name.endswith(".") or "*" in name:
            raise ValueError(f"skops_loader takes exact type names such as 'package.module.Class', not {name!r}")

    def load(folder: Path) -> Any:
        return load_skops(folder, trusted_types)

    return load
