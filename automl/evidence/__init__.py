"""What a fit saves for its report, below the search in the layers (docs/architecture.md, "Layers").

The final refit saves the validation predictions (:mod:`.validation`), the fit
measures the deployment numbers (:mod:`.deployment`) and the bootstrap interval
(:mod:`.saved_interval`) and plugins save their slow sections (:mod:`.cache`),
all within what is left of the time budget (:mod:`.budget`). ``automl report``
then only reads them. These modules lived in ``automl.report``; those names
still import them (``automl.report.cache`` is the plugins' documented one).
"""
