/** Who the dashboard acts for, and the session's CSRF token (GET /api/session); null until known. */
export interface Me {
  name: string;
  role: 'viewer' | 'researcher' | 'admin';
  csrf: string | null;
}
let me: Me | null = null;
export const currentUser = (): Me | null => me;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Raised when the server needs a sign-in: the router then shows the sign-in page. */
export class SignInRequired extends ApiError {}

/**
 * One API call. The session cookie goes with it (same origin); a call that changes something carries
 * the session's CSRF token. A 401 becomes SignInRequired.
 */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && me?.csrf) headers['X-CSRF-Token'] = me.csrf;
  const res = await fetch(`/api${path}`, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const json = (await res.json()) as T & { error?: { code: string; message: string; issues?: { field: string; message: string }[] } };
  if (!res.ok) {
    const Err = res.status === 401 ? SignInRequired : ApiError;
    throw new Err(res.status, json.error?.code ?? 'error', json.error?.message ?? res.statusText, json.error?.issues);
  }
  return json;
}

/** Who the browser is signed in as (or the open local server's "local" admin); null when a sign-in is needed. */
export async function loadMe(): Promise<Me | null> {
  try {
    me = await api<Me>('/session');
  } catch (err) {
    if (!(err instanceof SignInRequired)) throw err;
    me = null;
  }
  return me;
}

/** Signs in with a personal API token or SEGFUSION_TOKEN: the server sets the session cookie. */
export async function signIn(token: string): Promise<Me> {
  me = await api<Me>('/session', { method: 'POST', body: { token } });
  return me;
}

export async function signOut(): Promise<void> {
  await api('/session', { method: 'DELETE' });
  me = null;
}

/** Server-sent events of the worker (all, or one run's); returns a function that closes the stream. */
export function subscribe(onEvent: (type: string, data: Record<string, unknown>) => void, runId?: string): () => void {
  const source = new EventSource(`/api/events${runId ? `?runId=${encodeURIComponent(runId)}` : ''}`);
  const status = document.getElementById('connection');
  source.onopen = () => {
    if (status) status.textContent = 'live';
  };
  source.onerror = () => {
    if (status) status.textContent = 'reconnecting…';
  };
  for (const type of ['batch', 'epoch', 'status', 'evaluate', 'preprocess', 'ingest', 'job']) {
    source.addEventListener(type, (e) => onEvent(type, JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown>));
  }
  return () => {
    source.close();
    if (status) status.textContent = '';
  };
}
