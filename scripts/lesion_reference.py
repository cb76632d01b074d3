#!/usr/bin/python3
"""Known-shape reference segmenter for a synthetic lesion cohort (an independent check, never the product).

What lesion Dice, voxel sensitivity and detection can a segmenter reach that knows everything about the
generator except where the lesions are and how large: lesions are balls of radius r in [r_min, r_max] mm,
`contrast` HU off the organ under gaussian noise of `noise` HU, inside the labelled organ (the organ mask is
taken from the ground truth: an oracle the CNN does not have)? For each ball (radius on a 0.5 mm grid,
centre on the voxel grid or half a voxel off along each axis) the log-likelihood ratio of "lesion here"
against "organ only" is

    LLR = (mu / sigma^2) * sum_{v in ball} (organ_level - HU_v) - n * mu^2 / (2 sigma^2)

(mu = |contrast|, sigma = noise, organ_level = the median HU inside the organ, n = voxels of the ball).
Balls are accepted greedily by decreasing LLR while LLR >= tau, each suppressing centres within 2 r, and
the prediction is the union of the accepted balls. Sweeping tau traces the reference's trade-off between
lesions found, false-positive components and Dice. Metrics follow src/metrics: lesion Dice per case
(mean over cases), voxel sensitivity and precision pooled over cases, lesions found with the any-overlap
rule and false-positive components, both 26-connected.

Reads the cohort as `segfusion demo` writes it: DICOM slices under DIR/dicom/<patient>/ (pydicom) and
labels DIR/labels/<patient>.nii.gz (nibabel), label 1 organ and 2 lesion.

With --froc, tau is swept from 40 down to -5 in steps of 0.25 and the reference's free-response curve
is read as the product reads a run's test FROC: lesions found at 1/8 to 8 false-positive components
per case, and the CPM (their mean), to set against the network's on the same patients.

Usage (Debian's python3, not the product):
  /usr/bin/python3 scripts/lesion_reference.py COHORT_DIR [--patients SYN003,SYN011] [--json]
      [--contrast -18] [--noise 15] [--radius 3 7] [--tau 0,2,4,6,8 | --froc]
"""

import argparse
import json
import os
import sys

import nibabel
import numpy as np
import pydicom
from scipy import ndimage, signal


def load_case(cohort, patient):
    """HU and labels of one patient as [k, j, i] arrays, and the spacing (z, y, x) in mm."""
    folder = os.path.join(cohort, "dicom", patient)
    files = [os.path.join(root, f) for root, _, names in os.walk(folder) for f in names]
    slices = sorted((pydicom.dcmread(f) for f in files), key=lambda d: float(d.ImagePositionPatient[2]))
    hu = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in slices]).astype(np.float64)
    z = [float(d.ImagePositionPatient[2]) for d in slices]
    dy, dx = (float(s) for s in slices[0].PixelSpacing)
    dz = float(np.median(np.diff(z))) if len(z) > 1 else float(slices[0].SliceThickness)
    labels = np.asarray(nibabel.load(os.path.join(cohort, "labels", f"{patient}.nii.gz")).dataobj).astype(np.uint8)
    labels = np.transpose(labels, (2, 1, 0))  # NIfTI i, j, k -> k, j, i like the stacked slices
    if labels.shape != hu.shape:
        sys.exit(f"{patient}: label shape {labels.shape} differs from the image's {hu.shape}")
    return hu, labels, (dz, dy, dx)


def ball(radius, spacing, offset):
    """Boolean ball of `radius` mm on the voxel grid, its centre `offset` voxels off the central voxel."""
    half = [int(np.ceil(radius / s + 1)) for s in spacing]
    grid = np.mgrid[tuple(slice(-h, h + 1) for h in half)]
    d2 = sum(((g - o) * s) ** 2 for g, o, s in zip(grid, offset, spacing))
    return d2 <= radius * radius


def best_balls(hu, labels, spacing, contrast, noise, radii):
    """Per centre voxel the largest LLR over radii and offsets, and the (radius, offset) that reached it."""
    organ = labels > 0
    level = np.median(hu[organ])
    mu, s2 = abs(contrast), noise * noise
    evidence = np.where(organ, np.sign(contrast) * (hu - level), 0.0)
    shapes = [(r, (a, b, c)) for r in radii for a in (0, 0.5) for b in (0, 0.5) for c in (0, 0.5)]
    best = np.full(hu.shape, -np.inf)
    which = np.zeros(hu.shape, dtype=np.int32)
    for index, (r, offset) in enumerate(shapes):
        k = ball(r, spacing, offset)
        n = int(k.sum())
        # Convolving with the flipped ball sums the evidence over the ball placed at each voxel.
        total = signal.fftconvolve(evidence, k[::-1, ::-1, ::-1].astype(np.float64), mode="same")
        llr = (mu / s2) * total - n * mu * mu / (2 * s2)
        llr[~organ] = -np.inf
        better = llr > best
        best[better] = llr[better]
        which[better] = index
    return best, which, shapes


def paste(target, mask, centre, value=True):
    """target[mask placed with its central voxel at centre] = value, clipped at the volume's edges."""
    half = [(s - 1) // 2 for s in mask.shape]
    dst = tuple(slice(max(0, c - h), min(n, c + h + 1)) for c, h, n in zip(centre, half, target.shape))
    src = tuple(slice(d.start - (c - h), d.stop - (c - h)) for d, c, h in zip(dst, centre, half))
    target[dst][mask[src]] = value


def accepted(best, which, shapes, spacing, tau_min):
    """The greedy sequence of balls down to tau_min: (LLR, centre, shape index), by decreasing LLR. A
    higher tau accepts a prefix of it (suppression depends only on the balls accepted before), so one
    sequence serves every tau."""
    out = []
    remaining = best.copy()
    while True:
        centre = np.unravel_index(int(np.argmax(remaining)), remaining.shape)
        if remaining[centre] < tau_min:
            return out
        out.append((float(remaining[centre]), centre, int(which[centre])))
        r, offset = shapes[which[centre]]
        paste(remaining, ball(2 * r, spacing, offset), centre, -np.inf)


def predictions(sequence, shape, shapes, spacing, taus):
    """Per tau (in the order given): the union of the sequence's balls with LLR >= tau."""
    out = {}
    for t in taus:
        pred = np.zeros(shape, bool)
        for llr, centre, index in sequence:
            if llr < t:
                break
            r, offset = shapes[index]
            paste(pred, ball(r, spacing, offset), centre)
        out[t] = pred
    return out


def scores(pred, truth):
    tp, fp, fn = int((pred & truth).sum()), int((pred & ~truth).sum()), int((truth & ~pred).sum())
    conn = np.ones((3, 3, 3))
    lesions, n_lesions = ndimage.label(truth, conn)
    found = len(set(np.unique(lesions[pred])) - {0})
    comps, n_comps = ndimage.label(pred, conn)
    touching = set(np.unique(comps[truth])) - {0}
    dice = 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else None
    return {"dice": dice, "tp": tp, "fp": fp, "fn": fn, "lesions": n_lesions, "found": found, "fpComponents": n_comps - len(touching)}


RATES = (0.125, 0.25, 0.5, 1, 2, 4, 8)


def froc(rows):
    """The reference's FROC over the swept taus, read as the product reads its own (src/metrics/froc.ts):
    at each rate, the largest share of lesions found by a tau with at most that many false-positive
    components per case (0 when none), and the CPM, their mean."""
    curve = [{"tau": r["tau"], "sensitivity": r["lesionsFound"] / r["lesions"], "falsePositivesPerCase": r["fpComponents"] / r["cases"]} for r in rows if r["lesions"]]
    rates = [{"falsePositivesPerCase": rate, "sensitivity": max([c["sensitivity"] for c in curve if c["falsePositivesPerCase"] <= rate], default=0.0)} for rate in RATES]
    return {"rates": rates, "cpm": float(np.mean([r["sensitivity"] for r in rates])), "curve": curve}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("cohort")
    p.add_argument("--patients", help="comma-separated patient IDs (default: every folder under dicom/)")
    p.add_argument("--contrast", type=float, default=-18.0, help="lesion HU relative to the organ (hard demo: -18)")
    p.add_argument("--noise", type=float, default=15.0, help="noise standard deviation in HU (hard demo: 15)")
    p.add_argument("--radius", type=float, nargs=2, default=(3.0, 7.0), help="lesion radius range in mm (hard demo: 3 7)")
    p.add_argument("--tau", default="0,2,4,6,8,10", help="comma-separated LLR thresholds")
    p.add_argument("--froc", action="store_true", help="sweep tau from -5 to 40 in steps of 0.25 instead and read the FROC")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    patients = a.patients.split(",") if a.patients else sorted(os.listdir(os.path.join(a.cohort, "dicom")))
    radii = np.arange(a.radius[0], a.radius[1] + 1e-9, 0.5)
    taus = [float(t) for t in np.arange(40, -5 - 1e-9, -0.25)] if a.froc else [float(t) for t in a.tau.split(",")]
    per_tau = {t: [] for t in taus}
    for patient in patients:
        hu, labels, spacing = load_case(a.cohort, patient)
        truth = labels == 2
        if truth.any():
            # The labels and image must agree: lesion voxels darker (or brighter) than the organ by about `contrast`.
            measured = float(np.mean(hu[truth]) - np.median(hu[labels == 1]))
            if abs(measured - a.contrast) > 3 * a.noise / np.sqrt(truth.sum()) + 2:
                sys.exit(f"{patient}: lesions are {measured:.1f} HU off the organ, not {a.contrast}: wrong cohort or misaligned labels")
        best, which, shapes = best_balls(hu, labels, spacing, a.contrast, a.noise, radii)
        sequence = accepted(best, which, shapes, spacing, min(taus))
        for t, pred in predictions(sequence, hu.shape, shapes, spacing, taus).items():
            per_tau[t].append(scores(pred, truth))
        print(f"{patient} done", file=sys.stderr)
    rows = []
    for t in taus:
        cs = per_tau[t]
        tp, fp, fn = (sum(c[k] for c in cs) for k in ("tp", "fp", "fn"))
        dices = [c["dice"] for c in cs if c["dice"] is not None]
        rows.append({
            "tau": t,
            "cases": len(cs),
            "lesionDice": float(np.mean(dices)) if dices else None,
            "sensitivity": tp / (tp + fn) if tp + fn else None,
            "precision": tp / (tp + fp) if tp + fp else None,
            "lesionsFound": sum(c["found"] for c in cs),
            "lesions": sum(c["lesions"] for c in cs),
            "fpComponents": sum(c["fpComponents"] for c in cs),
        })
    if a.froc:
        curve = froc(rows)
        if a.json:
            print(json.dumps({"patients": patients, **curve}, indent=2))
            return
        print("false positives per case  " + "  ".join(f"{r['falsePositivesPerCase']:<5}" for r in curve["rates"]) + "  CPM")
        print("lesions found             " + "  ".join(f"{r['sensitivity']:.3f}" for r in curve["rates"]) + f"  {curve['cpm']:.3f}")
        return
    if a.json:
        print(json.dumps({"patients": patients, "rows": rows}, indent=2))
        return
    f = lambda x: "-" if x is None else f"{x:.3f}"
    print("tau   lesion Dice  sensitivity  precision  found      FP components")
    for r in rows:
        print(f"{r['tau']:<5} {f(r['lesionDice']):<12} {f(r['sensitivity']):<12} {f(r['precision']):<10} {r['lesionsFound']}/{r['lesions']:<7} {r['fpComponents']}")


if __name__ == "__main__":
    main()
