#!/usr/bin/python3
"""PyTorch (CPU) reference for `npm run bench:train`: the same 2D U-Net and step as SegFusion's.

Depth 4, 16 base filters, 2 x (3x3 conv without bias + BatchNorm + ReLU) per level, 2x2 max-pool,
2x2 stride-2 transposed convolutions, skip concatenation, 1x1 head, softmax; fused loss = Dice + focal
(gamma 2); Adam (lr 1e-3). Prints JSON: parameter count and per-step milliseconds after warm-up, and
the milliseconds of one forward 3x3 convolution of the reference layer (the same that bench-train.ts times
on the TF.js backend: batch x 32 x SIZE/2 x SIZE/2, 32 -> 32 channels), the throughput yardstick.

Usage: bench_train_torch.py BATCH SIZE CLASSES STEPS WARMUP THREADS
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn

from unet_torch import UNet

batch, size, classes, steps, warmup, threads = (int(v) for v in sys.argv[1:7])
torch.set_num_threads(threads)
torch.manual_seed(0)


def loss_fn(p, t):
    dims = (0, 2, 3)
    dice = (2 * (p * t).sum(dims) + 1e-5) / (p.sum(dims) + t.sum(dims) + 1e-5)
    dice_loss = (1 - dice[1:]).mean()
    pc = p.clamp(1e-7, 1 - 1e-7)
    focal = -(t * (1 - pc) ** 2 * torch.log(pc)).sum(1).mean()
    return dice_loss + focal


model = UNet(classes=classes)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(batch, 1, size, size)
labels = torch.randint(0, classes, (batch, size, size))
t = nn.functional.one_hot(labels, classes).permute(0, 3, 1, 2).float()
times = []
for i in range(warmup + steps):
    start = time.perf_counter()
    opt.zero_grad()
    loss = loss_fn(model(x), t)
    loss.backward()
    opt.step()
    elapsed = (time.perf_counter() - start) * 1000
    if i >= warmup:
        times.append(elapsed)
conv_times = []
with torch.no_grad():
    cx = torch.randn(batch, 32, size // 2, size // 2)
    cw = torch.randn(32, 32, 3, 3)
    for i in range(warmup + 2 * steps):
        start = time.perf_counter()
        nn.functional.conv2d(cx, cw, padding=1)
        if i >= warmup:
            conv_times.append((time.perf_counter() - start) * 1000)
print(json.dumps({'params': sum(p.numel() for p in model.parameters()), 'msPerStep': statistics.median(times), 'convMs': statistics.median(conv_times), 'torch': torch.__version__, 'threads': threads}))
