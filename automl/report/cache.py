"""The old name of :mod:`automl.evidence.cache`, which moved below the search (docs/architecture.md, "Layers").

``import automl.report.cache`` gives that same module object (monkeypatching either name patches both).
"""

import sys

from automl.evidence import cache

sys.modules[__name__] = cache
