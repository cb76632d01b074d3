/**
 * Case rendering as a pure function, shared by the dashboard's viewer and the server's PNGs: one slice,
 * window/level and the overlays in one of three modes, into RGBA pixels; the legend comes from the same
 * options, so it lists exactly what is drawn.
 */

export type OverlayMode = 'filled' | 'outline' | 'agreement';
export type Rgb = [number, number, number];

/** Ground truth per class (greens and blues) and prediction per class (reds and oranges). */
const TRUTH: Rgb[] = [
  [46, 204, 113],
  [52, 152, 219],
  [155, 89, 182],
  [26, 188, 156],
];
const PREDICTION: Rgb[] = [
  [231, 76, 60],
  [243, 156, 18],
  [241, 196, 15],
  [211, 84, 0],
];
/** Agreement mode: three fixed colours whatever the class (true positive, false positive, false negative). */
export const AGREEMENT: Record<'tp' | 'fp' | 'fn', Rgb> = { tp: [255, 221, 0], fp: [230, 25, 75], fn: [0, 160, 255] };

export const truthColor = (cls: number): Rgb => TRUTH[(cls - 1) % TRUTH.length];
export const predictionColor = (cls: number): Rgb => PREDICTION[(cls - 1) % PREDICTION.length];

export interface SlicePixels {
  width: number;
  height: number;
  /** Modality-LUT values (HU for CT), row-major. */
  image: ArrayLike<number>;
  label: ArrayLike<number> | null;
  prediction: ArrayLike<number> | null;
}

export interface OverlayOptions {
  mode: OverlayMode;
  /** Window centre and width in image units. */
  window: [number, number];
  /** Foreground classes to draw (class values). */
  classes: ReadonlySet<number>;
  truth: boolean;
  prediction: boolean;
  /** Overlay opacity 0..1 over the grey image (outlines are drawn opaque: one pixel wide, they hide little). */
  opacity: number;
}

/** Whether pixel p of a mask (value === cls) lies on its border: a 4-neighbour outside the mask or the image. */
function onBorder(m: ArrayLike<number>, cls: number, p: number, w: number, h: number): boolean {
  const x = p % w;
  const y = (p - x) / w;
  return x === 0 || y === 0 || x === w - 1 || y === h - 1 || m[p - 1] !== cls || m[p + 1] !== cls || m[p - w] !== cls || m[p + w] !== cls;
}

/**
 * RGBA of one slice. Modes, per visible class c:
 * - filled: truth filled at `opacity`, prediction as its outline on top (so neither hides the other);
 * - outline: both as outlines in their colours (prediction over truth where they coincide);
 * - agreement: truth c and prediction c in yellow (TP), prediction c where truth is not c in red (FP),
 *   truth c where prediction is not c in blue (FN), filled at `opacity`. It compares both layers
 *   whatever the truth/prediction switches say (a comparison needs both); where truth is one visible
 *   class and prediction another, the pixel shows as the prediction's false positive.
 */
export function renderSlice(s: SlicePixels, o: OverlayOptions): Uint8ClampedArray {
  const n = s.width * s.height;
  const out = new Uint8ClampedArray(n * 4);
  const [centre, width] = o.window;
  const lo = centre - width / 2;
  const scale = 255 / Math.max(1e-6, width);
  const a = Math.max(0, Math.min(1, o.opacity));
  const agreement = o.mode === 'agreement';
  const label = o.truth || agreement ? s.label : null;
  const pred = o.prediction || agreement ? s.prediction : null;
  for (let p = 0; p < n; p++) {
    const g = Math.max(0, Math.min(255, (s.image[p] - lo) * scale));
    let r = g;
    let gr = g;
    let b = g;
    const paint = (c: Rgb, alpha: number) => {
      r = r * (1 - alpha) + c[0] * alpha;
      gr = gr * (1 - alpha) + c[1] * alpha;
      b = b * (1 - alpha) + c[2] * alpha;
    };
    const t = label ? label[p] : 0;
    const q = pred ? pred[p] : 0;
    if (agreement) {
      const tIn = t > 0 && o.classes.has(t);
      const qIn = q > 0 && o.classes.has(q);
      if (tIn && q === t) paint(AGREEMENT.tp, a);
      else if (qIn) paint(AGREEMENT.fp, a);
      else if (tIn) paint(AGREEMENT.fn, a);
    } else {
      if (t > 0 && o.classes.has(t)) {
        if (o.mode === 'filled') paint(truthColor(t), a);
        else if (onBorder(label as ArrayLike<number>, t, p, s.width, s.height)) paint(truthColor(t), 1);
      }
      if (q > 0 && o.classes.has(q) && onBorder(pred as ArrayLike<number>, q, p, s.width, s.height)) paint(predictionColor(q), 1);
    }
    out[p * 4] = r;
    out[p * 4 + 1] = gr;
    out[p * 4 + 2] = b;
    out[p * 4 + 3] = 255;
  }
  return out;
}

export interface LegendEntry {
  color: Rgb;
  text: string;
  /** How it is drawn: a filled area or a one-pixel outline. */
  style: 'fill' | 'outline';
}

/** The legend of renderSlice with the same options: one entry per thing it may draw, nothing else. */
export function legendFor(o: Omit<OverlayOptions, 'window' | 'opacity'>, classNames: string[]): LegendEntry[] {
  const visible = [...o.classes].filter((c) => c > 0 && c < classNames.length).sort((x, y) => x - y);
  if (!visible.length) return [];
  const names = visible.map((c) => classNames[c]).join(', ');
  if (o.mode === 'agreement') {
    return [
      { color: AGREEMENT.tp, text: `true positive (${names})`, style: 'fill' },
      { color: AGREEMENT.fp, text: `false positive: predicted, not in truth (${names})`, style: 'fill' },
      { color: AGREEMENT.fn, text: `false negative: in truth, not predicted (${names})`, style: 'fill' },
    ];
  }
  return visible.flatMap((c) => [
    ...(o.truth ? [{ color: truthColor(c), text: `${classNames[c]} (truth)`, style: o.mode === 'filled' ? ('fill' as const) : ('outline' as const) }] : []),
    ...(o.prediction ? [{ color: predictionColor(c), text: `${classNames[c]} (prediction)`, style: 'outline' as const }] : []),
  ]);
}
