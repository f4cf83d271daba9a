"""Build a torch module from its JSON architecture description.

The same description rebuilds the same module (same parameter names and
shapes), which is what makes a safetensors state dict plus JSON a complete,
code-free saved model.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

MAX_CHANNELS = 256
MAX_FLAT_FEATURES = 16384  # a flatten head on a large map is first pooled to 4x4


def channels_of(block: int, width: int) -> int:
    """Channels double over the first three blocks, then stay (capped for CPU training)."""
    return min(MAX_CHANNELS, int(width) * 2 ** min(block, 2))


def _conv_features(arch: dict[str, Any]) -> nn.Sequential:
    layers: list[nn.Module] = []
    c_in, size = arch["channels"], arch["size"]
    kernel, bn, pool = int(arch["kernel"]), bool(arch["batch_norm"]), arch["pool"]
    for block in range(int(arch["blocks"])):
        c_out = channels_of(block, arch["width"])
        shrink = size >= 2
        for conv in range(int(arch["block_depth"])):
            stride = 2 if pool == "stride" and shrink and conv == int(arch["block_depth"]) - 1 else 1
            layers.append(nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=not bn))
            if bn:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.ReLU(inplace=True))
            c_in = c_out
        if shrink:
            if pool == "max":
                layers.append(nn.MaxPool2d(2))
            elif pool == "avg":
                layers.append(nn.AvgPool2d(2))
            size = size // 2 if pool != "stride" else (size + 1) // 2
    return nn.Sequential(*layers)


def _feature_shape(features: nn.Module, channels: int, size: int) -> tuple[int, int, int]:
    """The feature map's shape, from one dummy image (in eval mode: batch norm needs two values in training)."""
    features.eval()
    with torch.no_grad():
        out = features(torch.zeros(1, channels, size, size))
    features.train()
    return int(out.shape[1]), int(out.shape[2]), int(out.shape[3])


def _dense_head(n_in: int, arch: dict[str, Any]) -> list[nn.Module]:
    dropout, dense, n_classes = float(arch["dropout"]), int(arch.get("dense", 0)), int(arch["n_classes"])
    layers: list[nn.Module] = [nn.Dropout(dropout)] if dropout > 0 else []
    if dense > 0:
        layers += [nn.Linear(n_in, dense), nn.ReLU(inplace=True)]
        layers += [nn.Dropout(dropout)] if dropout > 0 else []
        n_in = dense
    return [*layers, nn.Linear(n_in, n_classes)]


def _cnn(arch: dict[str, Any]) -> nn.Sequential:
    features = _conv_features(arch)
    channels, height, width = _feature_shape(features, arch["channels"], arch["size"])
    if arch["head"] == "gap":
        pooling: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        n_in = channels
    elif channels * height * width > MAX_FLAT_FEATURES:
        pooling = [nn.AdaptiveAvgPool2d(4), nn.Flatten()]
        n_in = channels * 16
    else:
        pooling = [nn.Flatten()]
        n_in = channels * height * width
    return nn.Sequential(features, nn.Sequential(*pooling, *_dense_head(n_in, arch)))


def _mlp(arch: dict[str, Any]) -> nn.Sequential:
    n_in = arch["channels"] * arch["size"] ** 2
    layers: list[nn.Module] = [nn.Flatten()]
    for _ in range(int(arch["layers"])):
        layers.append(nn.Linear(n_in, arch["width"], bias=not arch["batch_norm"]))
        if arch["batch_norm"]:
            layers.append(nn.BatchNorm1d(arch["width"]))
        layers.append(nn.ReLU(inplace=True))
        if arch["dropout"] > 0:
            layers.append(nn.Dropout(float(arch["dropout"])))
        n_in = arch["width"]
    return nn.Sequential(*layers, nn.Linear(n_in, arch["n_classes"]))


def _linear(arch: dict[str, Any]) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(arch["channels"] * arch["size"] ** 2, arch["n_classes"]))


BUILDERS = {"cnn": _cnn, "mlp": _mlp, "linear": _linear}


def build_network(arch: dict[str, Any]) -> nn.Module:
    family = arch["family"]
    if family not in BUILDERS:
        raise ValueError(f"unknown network family '{family}'; valid: {', '.join(sorted(BUILDERS))}")
    return BUILDERS[family](arch)
