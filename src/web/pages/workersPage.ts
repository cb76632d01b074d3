import type { WorkerInfo } from '../../db/workers.js';
import { api } from '../api.js';
import { clear, h, statusBadge } from '../dom.js';

/** A worker as GET /api/workers sends it (dates as ISO strings). */
type WorkerItem = Omit<WorkerInfo, 'startedAt' | 'heartbeatAt' | 'stoppedAt'> & { startedAt: string; heartbeatAt: string; stoppedAt: string | null };

/** "12 s ago", "3 min ago": a heartbeat's age is read against the lease, so seconds matter. */
function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/**
 * The job workers: every `segfusion worker` slot and the dashboard's own, with host, backend, version,
 * tags, what each runs now and its last heartbeat; refreshed every 5 s.
 */
export async function workersPage(root: HTMLElement): Promise<() => void> {
  const summary = h('p', { class: 'muted' });
  const table = h('div');
  root.append(h('h1', {}, 'Workers'), summary, table);
  const render = async () => {
    const { leaseSeconds, items } = await api<{ leaseSeconds: number; items: WorkerItem[] }>('/workers');
    const live = items.filter((w) => w.status === 'idle' || w.status === 'busy');
    summary.textContent = `${live.length} live worker slot(s), ${live.filter((w) => w.status === 'busy').length} busy; a worker silent for ${leaseSeconds} s is lost and its job goes to another. Start more with: segfusion worker --concurrency N --tags gpu,...`;
    clear(table);
    table.append(
      h(
        'table',
        { id: 'workers' },
        h('thead', {}, h('tr', {}, ...['worker', 'host', 'status', 'current job', 'last heartbeat', 'backend', 'tags', 'version', 'started'].map((c) => h('th', {}, c)))),
        h(
          'tbody',
          {},
          ...items.map((w) =>
            h(
              'tr',
              { 'data-status': w.status },
              h('td', {}, h('code', {}, w.id)),
              h('td', {}, w.host),
              h('td', {}, statusBadge(w.status)),
              h('td', {}, w.currentRunId ? h('a', { href: `#/runs/${w.currentRunId}` }, `run ${w.currentRunId.slice(0, 8)}`) : w.currentJobId ? `job ${w.currentJobId.slice(0, 8)}` : ''),
              h('td', {}, w.status === 'stopped' && w.stoppedAt ? `stopped ${ago(w.stoppedAt)}` : ago(w.heartbeatAt)),
              h('td', {}, w.backend),
              h('td', {}, w.tags.join(', ')),
              h('td', {}, w.version),
              h('td', {}, new Date(w.startedAt).toLocaleString()),
            ),
          ),
        ),
      ),
    );
  };
  await render();
  const timer = setInterval(() => void render().catch(() => undefined), 5000);
  return () => clearInterval(timer);
}
