/** The token, when the server requires one, is kept in localStorage and sent with every call. */
export function token(): string | null {
  return localStorage.getItem('segfusion-token');
}

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

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`/api${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  if (res.status === 204) return undefined as T;
  const json = (await res.json()) as T & { error?: { code: string; message: string; issues?: { field: string; message: string }[] } };
  if (!res.ok) {
    if (res.status === 401) {
      const entered = prompt('This SegFusion server requires an API token (SEGFUSION_TOKEN):');
      if (entered) {
        localStorage.setItem('segfusion-token', entered);
        return api<T>(path, init);
      }
    }
    throw new ApiError(res.status, json.error?.code ?? 'error', json.error?.message ?? res.statusText, json.error?.issues);
  }
  return json;
}

/** A URL for what the browser fetches itself (downloads, EventSource): the token goes in the query. */
export function withToken(path: string): string {
  const t = token();
  return t ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(t)}` : path;
}

/** Server-sent events of the worker (all, or one run's); returns a function that closes the stream. */
export function subscribe(onEvent: (type: string, data: Record<string, unknown>) => void, runId?: string): () => void {
  const source = new EventSource(withToken(`/api/events${runId ? `?runId=${encodeURIComponent(runId)}` : ''}`));
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
