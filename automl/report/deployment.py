"""The old name of :mod:`automl.evidence.deployment`, which moved below the search (docs/architecture.md, "Layers").

``import automl.report.deployment`` gives that same module object (monkeypatching either name patches both).
"""

import sys

from automl.evidence import deployment

sys.modules[__name__] = deployment
