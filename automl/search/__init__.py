"""The search layer: the Optuna study, its trials, their liveness and the final refit.

A regular package (not a namespace one) so import-linter sees its modules and can hold them to the layers in
``[tool.importlinter]`` (docs/architecture.md, "Layers").
"""
