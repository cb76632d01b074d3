import type { PullSummary } from '../dicomweb/pull.js';
import Table from 'cli-table3';
import type { IngestSummary } from '../ingest/ingest.js';
import type { DatasetDetail } from '../server/services/datasetsService.js';

export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  t.push(...rows.map((r) => r.map(String)));
  return t.toString();
}

export function formatIngestSummary(s: IngestSummary & { pulled?: Omit<PullSummary, 'folders'> }): string {
  const lines = [
    ...(s.pulled ? [`Pulled from ${s.pulled.server}: ${s.pulled.series} series, ${s.pulled.instances} instance(s): ${s.pulled.downloaded} retrieved, ${s.pulled.reused} already mirrored, ${s.pulled.failed.length} failed.`] : []),
    table(
      ['patient', 'series', 'modality', 'voxels', 'spacing (mm)', 'label', 'warnings'],
      s.seriesTable.map((r) => [r.patientId, r.seriesInstanceUid.length > 28 ? `…${r.seriesInstanceUid.slice(-27)}` : r.seriesInstanceUid, r.modality, r.size, r.spacing, r.label, r.warnings]),
    ),
    table(
      ['files', 'DICOM', 'rejected', 'unchanged', 'series', 'built', 'slices', 'labels matched', 'labels rejected', 'warnings', 'errors'],
      [[s.files, s.dicomFiles, s.rejectedFiles, s.unchangedFiles, s.series, s.seriesBuilt, s.slices, s.labelsMatched, s.labelsRejected, s.warnings, s.errors]],
    ),
  ];
  const errors = s.issues.filter((i) => i.severity === 'error');
  const warnings = s.issues.filter((i) => i.severity === 'warning');
  if (errors.length) lines.push(`Errors (${errors.length}; these files were skipped):`, ...errors.map((e) => `  ✗ ${e.path}: ${e.reason.replace(`${e.path}: `, '')}`));
  if (warnings.length) lines.push(`Warnings (${warnings.length}):`, ...warnings.map((w) => `  ! ${w.reason}`));
  lines.push(`Dataset "${s.dataset}" ingested in ${(s.durationMs / 1000).toFixed(1)} s.`);
  return lines.join('\n');
}

export function formatDatasetInfo(d: DatasetDetail): string {
  const size = (v: string) => d.classSizes.find((c) => c.value === v);
  const classRows = Object.entries(d.classMap).map(([v, name]) => [v, name, d.classVoxels[v] ?? 0, size(v)?.cases ?? '', size(v)?.medianVoxels ?? '']);
  const lines = [
    `Dataset ${d.name}: ${d.patients} patient(s), ${d.series.length} series, ${d.series.filter((s) => s.label).length} labelled`,
    table(
      ['patient', 'modality', 'voxels', 'spacing (mm)', 'intensity range', 'label', 'warnings'],
      d.series.map((s) => [s.patientId, s.modality, s.geometry.size.join('x'), s.geometry.spacing.map((v) => v.toFixed(2)).join('x'), `${s.intensityRange[0]}..${s.intensityRange[1]}`, s.label ? 'yes' : 'no', s.warnings.length]),
    ),
  ];
  if (classRows.length) lines.push(table(['value', 'class', 'voxels', 'cases with it', 'median voxels per case'], classRows));
  lines.push(`Preset for "auto": ${d.preset.preset ?? 'none'} (${d.preset.reason})`);
  if (d.lastIngest && (d.lastIngest.errors.length || d.lastIngest.warnings.length)) {
    lines.push(`Last ingest (${d.lastIngest.startedAt}, ${d.lastIngest.status}): ${d.lastIngest.errors.length} error(s), ${d.lastIngest.warnings.length} warning(s)`);
    lines.push(...d.lastIngest.errors.map((e) => `  ✗ ${e.path}: ${e.reason.replace(`${e.path}: `, '')}`));
  }
  return lines.join('\n');
}
