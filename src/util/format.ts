/** Milliseconds as "7m14s": run durations and ETAs, in the CLI and the dashboard alike. */
export const formatDuration = (ms: number): string => `${Math.floor(ms / 60000)}m${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`;
