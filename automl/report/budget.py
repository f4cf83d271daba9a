"""The old name of :mod:`automl.evidence.budget`, which moved below the search (docs/architecture.md, "Layers").

``import automl.report.budget`` gives that same module object (monkeypatching either name patches both).
"""

import sys

from automl.evidence import budget

sys.modules[__name__] = budget
