/**
 * A study's runs counted by status, as people read them: "4 completed, 2 queued" ('' for none). Zod-free
 * and dependency-free, because the dashboard bundle imports it beside the CLI.
 */
export function describeStatusCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
}
