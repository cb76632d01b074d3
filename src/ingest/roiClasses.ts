import type { ClassSpecs } from '../data/classSpecs.js';
import { normalizedRoiName } from '../data/rtstructRaster.js';

/**
 * Which class an RTSTRUCT ROI name stands for. With labels.json, the class whose name or one of its
 * synonyms equals the ROI name once case, spaces and punctuation are ignored ("LIVER", "Liver_1" does
 * not match "liver": add it as a synonym); an ROI matching none is left out and reported. Without
 * labels.json, each distinct ROI name gets the next class value in the order first seen, and gives the
 * class its name.
 */
export class RoiClasses {
  private readonly byName = new Map<string, number>();
  private readonly seen = new Map<string, { value: number; name: string }>();

  constructor(private readonly specs: ClassSpecs | null) {
    for (const [value, spec] of Object.entries(specs ?? {})) {
      if (value === '0') continue;
      for (const n of [spec.name, ...spec.synonyms]) this.byName.set(normalizedRoiName(n), Number(value));
    }
  }

  classOf(roiName: string): number | null {
    const key = normalizedRoiName(roiName);
    if (this.specs) return this.byName.get(key) ?? null;
    let entry = this.seen.get(key);
    if (!entry) {
      entry = { value: this.seen.size + 1, name: roiName.trim() };
      if (entry.value > 255) return null;
      this.seen.set(key, entry);
    }
    return entry.value;
  }

  /** Class value -> ROI name, for a class map derived without labels.json. */
  names(): Record<string, string> {
    return Object.fromEntries([...this.seen.values()].map((e) => [String(e.value), e.name]));
  }

  /** The names a report of unmatched ROIs should offer. */
  known(): string[] {
    return Object.entries(this.specs ?? {})
      .filter(([v]) => v !== '0')
      .map(([, s]) => s.name);
  }
}
