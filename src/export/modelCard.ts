import { describeOperatingPoint } from '../train/operatingPoint.js';
import type { RunReport } from '../train/runReport.js';
import type { ExportManifest } from './exportManifest.js';

const num = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '–' : v.toFixed(d));

/** Figures beside the card, by path relative to it. */
export interface CardFigures {
  curves: { file: string; caption: string }[];
  worst: { file: string; caption: string }[];
}

/**
 * A model card (Mitchell et al. 2019, abridged) in markdown: intended use, data, training with its
 * curves, per-class results with the worst test cases pictured.
 */
export function modelCard(m: ExportManifest, run: RunReport, figures: CardFigures = { curves: [], worst: [] }): string {
  const rows = Object.entries(m.metrics.test ?? {}).map(
    ([cls, s]) =>
      `| ${cls} | ${num(s.dice.mean)} ± ${num(s.dice.std)} | ${num(s.dice.median)} | ${num(s.sensitivity.mean)} | ${num(s.specificity.mean, 4)} | ${num(s.precision.mean)} | ${num(s.hd95.mean, 1)} | ${num(s.assd.mean, 2)} | ${s.dice.n} |`,
  );
  const cfg = run.config as { losses?: { name: string }[]; fusion?: { strategy: string }; epochs?: number };
  return [
    `# SegFusion model ${m.runName ?? m.runId}`,
    '',
    `Run \`${m.runId}\`, exported ${m.exportedAt}. Research use only: not a medical device, not validated for clinical decisions.`,
    '',
    '## Intended use',
    `2D${m.inputSlices > 1 ? `.5 (${m.inputSlices} slices)` : ''} U-Net segmentation of **${m.classes.slice(1).join(', ')}** on ${m.preprocessing.modality} series similar to dataset \`${run.dataset}\`${m.mirror ? ', with test-time mirroring (the softmax averaged over the four in-plane mirrorings, as validated and tested)' : ''}.`,
    '',
    '## Data',
    `- Dataset \`${run.dataset}\` (fingerprint \`${m.datasetFingerprint.slice(0, 16)}…\`); patient-level split: ${run.split ? `${run.split.train.length} train, ${run.split.validation.length} validation, ${run.split.test.length} test patients` : 'unknown'}.`,
    `- Preprocessing: in-plane resampling to ${m.preprocessing.targetSpacing.map((v) => v.toFixed(3)).join(' x ')} mm; intensity ${JSON.stringify(m.preprocessing.intensity)}.`,
    '',
    '## Training',
    `- Losses ${(cfg.losses ?? []).map((l) => l.name).join(' + ')} fused with **${cfg.fusion?.strategy ?? run.strategy}** weighting; ${run.epochsDone} of ${cfg.epochs ?? run.totalEpochs} epochs, best validation Dice ${num(m.metrics.bestValidationDice)} at epoch ${m.metrics.bestEpoch === null || m.metrics.bestEpoch === undefined ? '–' : m.metrics.bestEpoch + 1}.`,
    `- Backend ${String(m.backend?.choice ?? 'unknown')}; SegFusion ${m.versions.segfusion}, TF.js ${m.versions.tfjs}, Node ${m.versions.node}; seed ${run.seed}.`,
    '',
    ...figures.curves.map((f) => `![${f.caption}](${f.file})`),
    '',
    "## Results on the test split (best checkpoint, on each series' own grid)",
    '',
    '| class | Dice (mean ± std) | Dice median | sensitivity | specificity | precision | HD95 (mm) | ASSD (mm) | cases |',
    '|---|---|---|---|---|---|---|---|---|',
    ...(rows.length ? rows : ['| – | no test cases | | | | | | | |']),
    '',
    ...(m.operatingPoint
      ? [
          '## Operating point',
          '',
          "predict applies these per-class probability thresholds (calibrated on the validation split for the run's sensitivity targets; a lesion-wise target may have two, one that finds lesions and one that outlines them):",
          '',
          ...describeOperatingPoint(m.operatingPoint, m.classes).map((l) => `- ${l}`),
          '',
        ]
      : []),
    'Lesion-wise detection on the test split (26-connected components; a lesion is found when any of its voxels is predicted, a predicted component overlapping no lesion is a false positive):',
    '',
    '| class | lesions | found | missed | false-positive components | detection sensitivity | detection F1 |',
    '|---|---|---|---|---|---|---|',
    ...Object.entries(run.lesions.test ?? {}).map(([cls, t]) => `| ${cls} | ${t.lesions} | ${t.lesionsFound} | ${t.lesionsMissed} | ${t.falsePositiveComponents} | ${num(t.detectionSensitivity)} | ${num(t.detectionF1)} |`),
    '',
    ...(figures.worst.length
      ? [
          '## Worst test cases',
          '',
          'Axial slices of the test cases with the lowest Dice per class; agreement overlay: true positive yellow, false positive red, false negative blue; window 40/400.',
          '',
          ...figures.worst.flatMap((f) => [`![${f.caption}](${f.file})`, '', `*${f.caption}*`, '']),
          '',
        ]
      : []),
    '## Limitations',
    '- Evaluated only on the held-out patients of one dataset; performance on other scanners, protocols or populations is unknown.',
    '- Small structures are sensitive to resampling: check HD95 and sensitivity, not Dice alone.',
    '',
  ].join('\n');
}
