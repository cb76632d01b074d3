import cliProgress from 'cli-progress';

/** One progress bar per phase on stderr; silent when stderr is not a terminal (CI, --json pipes). */
export function phaseProgress(): { update: (phase: string, done: number, total: number) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update(phase, done, total) {
      if (phase !== current) {
        stop();
        current = phase;
        bar = new cliProgress.SingleBar({ format: `${phase.padEnd(8)} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(total, done);
      } else bar?.update(done);
    },
    stop,
  };
}
