"""Input sniffing and loading shared by the task plugins."""

from automl.data.fingerprint import fingerprint
from automl.data.tables import MISSING_MARKERS, read_table, source_name

__all__ = ["MISSING_MARKERS", "fingerprint", "read_table", "source_name"]
