#!/usr/bin/python3
"""PyTorch (CPU) reference for `npm run bench:predict`: eval-mode forward passes of SegFusion's default
U-Net (depth 3, 16 base filters, 1 input slice, 3 classes) over a SLICES x SIZE x SIZE volume, 4 slices
per pass as segmentVolume does, with the arg-max. Prints JSON: milliseconds per volume of each round.

Usage: bench_predict_torch.py SLICES SIZE THREADS ROUNDS
"""
import json
import sys
import time

import torch

from unet_torch import UNet

slices, size, threads, rounds = (int(v) for v in sys.argv[1:5])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = UNet(depth=3, base=16, cin=1, classes=3).eval()
volume = torch.randn(slices, 1, size, size)
times = []
with torch.no_grad():
    model(volume[:4])
    for _ in range(rounds):
        start = time.perf_counter()
        for z in range(0, slices, 4):
            model(volume[z:z + 4]).argmax(1)
        times.append((time.perf_counter() - start) * 1000)
print(json.dumps({'msPerVolume': times, 'torch': torch.__version__}))
