"""The old name of :mod:`automl.markdown`, which moved below the search (docs/architecture.md, "Layers").

``import automl.report.markdown`` gives that same module object (monkeypatching either name patches both).
"""

import sys

from automl import markdown

sys.modules[__name__] = markdown
