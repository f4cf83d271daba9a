"""The old name of :mod:`automl.evidence.validation`, which moved below the search (docs/architecture.md, "Layers").

``import automl.report.evidence`` gives that same module object (monkeypatching either name patches both).
"""

import sys

from automl.evidence import validation

sys.modules[__name__] = validation
