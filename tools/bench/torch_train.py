"""PyTorch side of tools/bench/torch_accuracy.ts: trains on the folder that tool wrote.

    python3 tools/bench/torch_train.py FOLDER [--threads N]

FOLDER holds `meta.json` and little-endian float32/uint32 files: the scaled inputs and targets of
each part (train, validation, test), the library's initial weights in Keras's layout, each epoch's
batch order, and the library's predictions of the initial network for the validation rows. This
script builds the same network (tools/bench/torch_reference.py), loads those weights, checks that
its initial predictions match the library's, then trains with the dissertation's recipe (Huber,
Adamax lr 1e-3, betas 0.9/0.999, eps 1e-7) on the given batches and prints one JSON line: each
epoch's loss, MAE, validation MAE and seconds (validation included, as the library counts them),
and the test MAE.
"""

import argparse
import json
import os
import time

import numpy as np
import torch
from torch import nn

from torch_reference import N_FLUX, build_network, train_epoch

EVAL_BATCH = 1024


def read(folder: str, name: str, dtype: str, shape: list[int]) -> np.ndarray:
    values = np.fromfile(os.path.join(folder, name), dtype=dtype)
    if values.size != int(np.prod(shape)):
        raise SystemExit(f"{folder}/{name}: {values.size} values, expected {shape}")
    return values.reshape(shape)


def load_keras_weights(model: nn.Sequential, weights: list[np.ndarray]) -> None:
    """Copies Keras-layout weights (kernel, bias per layer) into the torch network.

    Conv1D kernels are [k, in, out] in Keras and [out, in, k] here; Dense kernels [in, out] and
    [out, in]. Keras flattens the last feature map as (length, channels), torch as (channels,
    length), so the first Dense kernel's rows are reordered.
    """
    layers = [m for m in model if isinstance(m, (nn.Conv1d, nn.Linear))]
    if len(weights) != 2 * len(layers):
        raise SystemExit(f"{len(weights)} weight arrays for {len(layers)} layers")
    flattened_channels = None
    for i, layer in enumerate(layers):
        kernel, bias = weights[2 * i], weights[2 * i + 1]
        if isinstance(layer, nn.Conv1d):
            w = kernel.transpose(2, 1, 0)
            flattened_channels = layer.out_channels
        else:
            if flattened_channels is not None:  # the Dense layer after Flatten
                length = kernel.shape[0] // flattened_channels
                kernel = kernel.reshape(length, flattened_channels, -1).transpose(1, 0, 2)
                kernel = kernel.reshape(length * flattened_channels, -1)
                flattened_channels = None
            w = kernel.T
        if tuple(w.shape) != tuple(layer.weight.shape):
            raise SystemExit(f"layer {i}: weights {w.shape}, network {tuple(layer.weight.shape)}")
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            layer.bias.copy_(torch.from_numpy(bias))


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[b:b + EVAL_BATCH]) for b in range(0, x.shape[0], EVAL_BATCH)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("folder")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: as torch sets)")
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    meta = json.load(open(os.path.join(args.folder, "meta.json")))
    if meta["nFlux"] != N_FLUX:
        raise SystemExit(f"meta.json: nFlux {meta['nFlux']}, this script expects {N_FLUX}")
    parts = {}
    for part, n in meta["rows"].items():
        x = read(args.folder, f"{part}_x.f32", "<f4", [n, 1, N_FLUX])
        y = read(args.folder, f"{part}_y.f32", "<f4", [n, 1])
        parts[part] = (torch.from_numpy(x.copy()), torch.from_numpy(y.copy()))
    net = meta["network"]
    model = build_network(net["filters"], net["kernels"], net["units"])
    load_keras_weights(model, [
        read(args.folder, w["file"], "<f4", w["shape"]) for w in meta["weights"]
    ])
    x_val, y_val = parts["validation"]
    ours_initial = read(args.folder, "initial_validation_predictions.f32", "<f4", [x_val.shape[0]])
    initial = predict(model, x_val).reshape(-1).numpy()
    initial_difference = float(np.max(np.abs(initial - ours_initial)))
    initial_scale = float(np.max(np.abs(ours_initial)))

    epochs, batch_size = meta["epochs"], meta["batchSize"]
    x, y = parts["train"]
    orders = read(args.folder, "orders.u32", "<u4", [epochs, x.shape[0]]).astype(np.int64)
    optimizer = torch.optim.Adamax(
        model.parameters(), lr=meta["learningRate"], betas=(0.9, 0.999), eps=1e-7
    )
    loss_fn = nn.HuberLoss(delta=meta["huberDelta"])
    history = []
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        order = torch.from_numpy(orders[epoch - 1])
        loss, mae = train_epoch(model, optimizer, loss_fn, x, y, batch_size, None, order)
        val_mae = float((predict(model, x_val) - y_val).abs().mean())
        history.append({
            "epoch": epoch, "loss": loss, "mae": mae, "valMae": val_mae,
            "seconds": time.perf_counter() - started,
        })
    x_test, y_test = parts["test"]
    print(json.dumps({
        "device": f"torch {torch.__version__} cpu, {torch.get_num_threads()} threads",
        "initialDifference": initial_difference,
        "initialScale": initial_scale,
        "history": history,
        "testMae": float((predict(model, x_test) - y_test).abs().mean()),
    }))


if __name__ == "__main__":
    main()
