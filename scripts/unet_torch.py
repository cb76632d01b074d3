"""SegFusion's 2D U-Net in PyTorch, for the benchmarks' side-by-side runs (bench_train_torch.py,
bench_predict_torch.py): 2 x (3x3 conv without bias + BatchNorm + ReLU) per level, 2x2 max-pool,
2x2 stride-2 transposed convolutions, skip concatenation, 1x1 head, softmax, as src/model/unet.ts.
"""
import torch
import torch.nn as nn


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, depth=4, base=16, cin=1, classes=3):
        super().__init__()
        self.down = nn.ModuleList()
        c = cin
        for level in range(depth):
            self.down.append(block(c, base * 2 ** level))
            c = base * 2 ** level
        self.bottleneck = block(c, base * 2 ** depth)
        self.up = nn.ModuleList()
        self.upblocks = nn.ModuleList()
        c = base * 2 ** depth
        for level in reversed(range(depth)):
            f = base * 2 ** level
            self.up.append(nn.ConvTranspose2d(c, f, 2, stride=2))
            self.upblocks.append(block(2 * f, f))
            c = f
        self.head = nn.Conv2d(c, classes, 1)

    def forward(self, x):
        skips = []
        for b in self.down:
            x = b(x)
            skips.append(x)
            x = nn.functional.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for up, b, skip in zip(self.up, self.upblocks, reversed(skips)):
            x = b(torch.cat([skip, up(x)], 1))
        return torch.softmax(self.head(x), 1)
