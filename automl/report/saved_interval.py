"""The old name of :mod:`automl.evidence.saved_interval`, which moved below the search (docs/architecture.md, "Layers").

``import automl.report.saved_interval`` gives that same module object (monkeypatching either name patches both).
"""

import sys

from automl.evidence import saved_interval

sys.modules[__name__] = saved_interval
