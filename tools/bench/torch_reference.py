"""PyTorch eager reference for tools/bench/train.ts: the same network and recipe, same table.

    python3 tools/bench/torch_reference.py [--batches 16,64,256,1024] [--samples 8192] [--min-steps 8]
                                 [--predict 65536] [--predict-batches 1024] [--tf32] [--narrow] [--json]

The dissertation's 1D CNN (699,073 parameters; --narrow: the smoke profile's 9,217), Huber loss
(delta 1), Adamax (lr 1e-3, betas 0.9/0.999, eps 1e-7, as Keras). Like the library's train(), the
data lives on the device, each epoch shuffles by a permutation on the device, each step gathers its
batch there, and the loss and MAE are summed on the device and read back once per epoch. Each
batch size: a two-step warm-up epoch, then one timed epoch of steps x batch random rows.
Prediction, at each of --predict-batches after a one-batch warm-up, copies each batch of host rows
to the device, as the library's predict() does, under torch.inference_mode() as a tuned user would.
Default fp32 (TF32 off); --tf32 allows TF32 matmuls and convolutions.
"""

import argparse
import json
import math
import time

import torch
from torch import nn

N_FLUX = 186


# The dissertation's network and the smoke profile's narrow one: filters, kernel sizes, units.
FULL = ([256, 256, 128, 64], [5, 5, 3, 2], [256, 256, 128, 64])
NARROW = ([16, 16, 16, 16], [5, 5, 3, 2], [32, 32, 16, 16])


def build_network(filters: list[int], kernels: list[int], units: list[int]) -> nn.Module:
    """Conv1D(f, k) + ReLU + MaxPool1D(2) per filter, Flatten, Dense(u) + ReLU per unit, Dense(1)."""
    layers: list[nn.Module] = []
    channels, length = 1, N_FLUX
    for f, k in zip(filters, kernels):
        layers += [nn.Conv1d(channels, f, k), nn.ReLU(), nn.MaxPool1d(2)]
        channels, length = f, (length - k + 1) // 2
    layers.append(nn.Flatten())
    width = channels * length
    for u in units:
        layers += [nn.Linear(width, u), nn.ReLU()]
        width = u
    layers.append(nn.Linear(width, 1))
    model = nn.Sequential(*layers)
    for m in model.modules():  # Keras's initialisers: Glorot uniform kernels, zero biases
        if isinstance(m, (nn.Conv1d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def rows(n: int, salt: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    i = torch.arange(n * N_FLUX, dtype=torch.int64)
    x = ((i * 7919 + salt) % 1000).float().div(1000).reshape(n, 1, N_FLUX)
    j = torch.arange(n, dtype=torch.int64)
    y = ((j * 104729 + salt) % 1000).float().div(2000).reshape(n, 1)
    return x.to(device), y.to(device)


def train_epoch(model, optimizer, loss_fn, x, y, batch_size, generator, order=None):
    """One epoch, the library's way: device-side shuffle, gather, sums read back at the end.

    `order` (row indices on the device) replaces the shuffle, to replay another trainer's batches.
    """
    n = x.shape[0]
    if order is None:
        order = torch.randperm(n, device=x.device, generator=generator)
    loss_sum = torch.zeros((), device=x.device)
    mae_sum = torch.zeros((), device=x.device)
    model.train()
    for begin in range(0, n, batch_size):
        idx = order[begin:begin + batch_size]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        prediction = model(xb)
        loss = loss_fn(prediction, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            loss_sum += loss.detach() * idx.numel()
            mae_sum += (prediction - yb).abs().sum()
    return (loss_sum / n).item(), (mae_sum / n).item()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batches", default="16,64,256,1024")
    p.add_argument("--samples", type=int, default=8192)
    p.add_argument("--min-steps", type=int, default=8)
    p.add_argument("--predict", type=int, default=65536)
    p.add_argument("--predict-batches", default="1024")
    p.add_argument("--tf32", action="store_true")
    p.add_argument("--narrow", action="store_true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = (torch.cuda.get_device_name(0) if device.type == "cuda"
            else f"cpu, {torch.get_num_threads()} threads")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(1)
    generator = torch.Generator(device=device)
    generator.manual_seed(1)
    model = build_network(*(NARROW if args.narrow else FULL)).to(device)
    parameters = sum(t.numel() for t in model.parameters())
    optimizer = torch.optim.Adamax(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.HuberLoss(delta=1.0)

    results = []
    for batch_size in [int(b) for b in args.batches.split(",")]:
        steps = max(args.min_steps, math.ceil(args.samples / batch_size))
        wx, wy = rows(2 * batch_size, 1, device)
        train_epoch(model, optimizer, loss_fn, wx, wy, batch_size, generator)
        x, y = rows(steps * batch_size, 2, device)
        sync()
        t = time.perf_counter()
        train_epoch(model, optimizer, loss_fn, x, y, batch_size, generator)
        sync()
        seconds = time.perf_counter() - t
        results.append({
            "batchSize": batch_size,
            "steps": steps,
            "samplesPerSecond": steps * batch_size / seconds,
            "msPerStep": 1000 * seconds / steps,
        })

    xp, _ = rows(args.predict, 3, torch.device("cpu"))
    model.eval()
    predictions = []
    for batch_size in [int(b) for b in args.predict_batches.split(",")]:
        with torch.inference_mode():
            model(xp[:batch_size].to(device)).cpu()  # warm-up
            sync()
            t = time.perf_counter()
            out = torch.empty(args.predict)
            for begin in range(0, args.predict, batch_size):
                batch = xp[begin:begin + batch_size].to(device)
                out[begin:begin + batch_size] = model(batch).reshape(-1).cpu()
            seconds = time.perf_counter() - t
        predictions.append({"batchSize": batch_size, "samplesPerSecond": args.predict / seconds})

    summary = {
        "device": f"torch {torch.__version__} {device.type} ({name})",
        "network": "narrow" if args.narrow else "full",
        "parameters": parameters,
        "tf32": args.tf32,
        "results": results,
        "predict": {"rows": args.predict, "batches": predictions},
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(f"device: {summary['device']}; network: {summary['network']} ({parameters} parameters);"
          f" tf32: {args.tf32}")
    print("| batch | steps | training samples/s | ms/step |")
    print("| --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['batchSize']} | {r['steps']} | {r['samplesPerSecond']:.1f} |"
              f" {r['msPerStep']:.2f} |")
    for r in predictions:
        print(f"prediction, batch {r['batchSize']}: {r['samplesPerSecond']:.0f} rows/s"
              f" ({args.predict} rows)")


if __name__ == "__main__":
    main()
