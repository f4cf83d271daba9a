"""The plugin kit's early stopping keeps the best epoch's state and stops after the patience runs out."""

from __future__ import annotations

from automl.early_stopping import EarlyStopping, stop_reason


class Weights:
    """Stands in for a torch module: a state dict that training changes in place."""

    def __init__(self) -> None:
        self.state = {"w": [0.0]}

    def state_dict(self) -> dict:
        return self.state

    def load_state_dict(self, state: dict) -> None:
        self.state = state


def test_best_epoch_is_restored_and_patience_stops_the_loop() -> None:
    model, stopper = Weights(), EarlyStopping(2, lambda new, old: new > old)
    for epoch, score in enumerate([0.5, 0.7, 0.6, 0.65], start=1):
        model.state["w"][0] = float(epoch)  # training mutates the weights in place
        stopper.update(epoch, score, model)
        if stop_reason(False, stopper):
            break
    assert (epoch, stopper.best_epoch, stopper.best) == (4, 2, 0.7)
    stopper.restore(model)
    assert model.state == {"w": [2.0]}  # a copy, not the mutated live weights
    assert stop_reason(True, EarlyStopping(3, lambda a, b: a > b)) == "deadline"
