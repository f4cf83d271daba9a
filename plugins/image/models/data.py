"""Batches of pixels for torch: a map-style dataset over file paths, read through the shared cache.

The DataLoader streams from disk; decoded, resized pixels stay in the
process-wide :data:`~automl_plugins.image.pixels.CACHE`, so the second epoch
(and every later trial at the same resolution) reads memory, not files. Data
loading runs in the main process: on the few CPU cores automl targets, worker
processes would compete with training and each need their own cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from automl_plugins.image.pixels import CACHE

STATS_SAMPLE = 2000


class ImageSet(Dataset):
    """Images (as uint8 tensors) and integer labels, fetched a whole batch at a time."""

    def __init__(self, paths: Sequence[str], labels: np.ndarray | None, size: int, channels: int) -> None:
        self.paths = [str(p) for p in paths]
        self.labels = None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.long)
        self.size, self.channels = int(size), int(channels)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, Any]:
        images, labels = self.__getitems__([index])
        return images[0], None if labels is None else labels[0]

    def __getitems__(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor | None]:
        pixels = CACHE.batch([self.paths[i] for i in indices], self.size, self.channels)
        labels = None if self.labels is None else self.labels[list(indices)]
        return torch.from_numpy(pixels), labels


def _whole_batch(batch: Any) -> Any:
    """``__getitems__`` already returns a stacked batch; nothing to collate."""
    return batch


def loader(dataset: ImageSet, batch_size: int, shuffle: bool = False, seed: int = 0) -> DataLoader:
    """Batches in file order, or (``shuffle``, for training) in a seeded random order.

    A training epoch drops its last, incomplete batch when there is more than
    one batch: a batch of one image breaks batch normalisation, and the images
    dropped differ from epoch to epoch.
    """
    generator = torch.Generator().manual_seed(int(seed)) if shuffle else None
    return DataLoader(dataset, batch_size=int(batch_size), shuffle=shuffle, generator=generator,
                      collate_fn=_whole_batch, num_workers=0, drop_last=shuffle and len(dataset) > batch_size)


def channel_stats(dataset: ImageSet, seed: int) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation in [0, 1] units, from (a sample of) the training split only."""
    rng = np.random.default_rng(seed)
    count = min(len(dataset), STATS_SAMPLE)
    chosen = np.sort(rng.choice(len(dataset), size=count, replace=False))
    pixels, _ = dataset.__getitems__(chosen.tolist())
    values = pixels.to(torch.float64).div_(255.0).transpose(0, 1).reshape(dataset.channels, -1)
    mean = values.mean(dim=1)
    std = values.std(dim=1).clamp_min(1e-3)
    return mean.tolist(), std.tolist()


def to_float(pixels: torch.Tensor) -> torch.Tensor:
    return pixels.to(torch.float32).div_(255.0)


def normalise(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    shape = (1, len(mean), 1, 1)
    return (x - torch.tensor(mean).view(shape)) / torch.tensor(std).view(shape)
