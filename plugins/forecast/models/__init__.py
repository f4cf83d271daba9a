"""The forecast models: seasonal naive and a global LightGBM (core install); ETS, ARIMA and Theta with the
``forecast`` extra (statsforecast), registered only when it is installed."""

from importlib.util import find_spec

from automl.kit import ModelSpec
from automl_plugins.forecast.models.boosting import LIGHTGBM
from automl_plugins.forecast.models.naive import SEASONAL_NAIVE

# the baseline first: its default is queued first, so a forecast exists within a second
MODELS: tuple[ModelSpec, ...] = (SEASONAL_NAIVE,)

# find_spec looks statsforecast up without importing it (numba takes seconds)
if find_spec("statsforecast") is not None:
    from automl_plugins.forecast.models.statistical import ARIMA_SPEC, ETS_SPEC, THETA_SPEC

    MODELS += (ETS_SPEC, THETA_SPEC, ARIMA_SPEC)

MODELS += (LIGHTGBM,)

__all__ = ["LIGHTGBM", "MODELS", "SEASONAL_NAIVE"]
