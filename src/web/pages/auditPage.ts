import { api } from '../api.js';
import { h } from '../dom.js';

interface AuditEvent {
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

/** The audit log (admins): who launched, cancelled, resumed, deleted or exported what, ingests, users, sign-ins. */
export async function auditPage(root: HTMLElement): Promise<() => void> {
  const { total, items } = await api<{ total: number; items: AuditEvent[] }>('/audit?limit=200');
  root.append(
    h('h1', {}, 'Audit log'),
    h('p', { class: 'muted' }, `${total} event(s), the latest ${items.length} shown; also: segfusion audit, GET /api/audit`),
    h(
      'table',
      { id: 'audit' },
      h('thead', {}, h('tr', {}, ...['when', 'who', 'action', 'on', 'detail'].map((c) => h('th', {}, c)))),
      h(
        'tbody',
        {},
        ...items.map((e) =>
          h(
            'tr',
            {},
            h('td', {}, new Date(e.at).toLocaleString()),
            h('td', {}, e.actor),
            h('td', {}, e.action),
            h('td', {}, e.target && e.action.startsWith('run.') ? h('a', { href: `#/runs/${e.target}` }, e.target.slice(0, 8)) : (e.target ?? '')),
            h('td', {}, h('code', {}, e.detail ? JSON.stringify(e.detail) : '')),
          ),
        ),
      ),
    ),
  );
  return () => undefined;
}
