import type {
  GraphPayload,
  MetricsPayload,
  NodeDetails,
  RevisionsPayload,
  StaticData,
} from '../../src/ui-server/types.ts';

declare global {
  interface Window {
    __SLUICE_DATA__?: StaticData;
  }
}

/** `sluice dag --html`: everything is inlined and there is no server. */
export const staticData: StaticData | undefined = window.__SLUICE_DATA__;

/** The run's token `sluice ui` puts in the page; every POST carries it. */
const token: string | null =
  document.querySelector<HTMLMetaElement>('meta[name="sluice-token"]')?.content ?? null;

async function get<T>(path: string): Promise<T> {
  return answer(await fetch(path, { headers: { Accept: 'application/json' } }));
}

async function post<T>(path: string, body: unknown): Promise<T> {
  if (token === null) throw new Error('this page has no token: reload it from `sluice ui`');
  return answer(
    await fetch(path, {
      method: 'POST',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'X-Sluice-Token': token,
      },
      body: JSON.stringify(body),
    }),
  );
}

async function answer<T>(res: Response): Promise<T> {
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: string };
      if (body.error !== undefined) message = body.error;
    } catch {
      // keep the status line
    }
    throw new Error(message);
  }
  return (await res.json()) as T;
}

export function fetchGraph(rev: string): Promise<GraphPayload> {
  if (staticData !== undefined) return Promise.resolve(staticData.graph);
  return get(`api/graph?rev=${encodeURIComponent(rev)}`);
}

export function fetchRevisions(): Promise<RevisionsPayload> {
  if (staticData !== undefined) {
    return Promise.resolve({ current: null, head: null, branches: [], tags: [], commits: [] });
  }
  return get('api/revisions');
}

export function fetchMetrics(revs: string[]): Promise<MetricsPayload> {
  if (staticData !== undefined) {
    return Promise.resolve(staticData.metrics ?? { revs: [], files: {}, errors: [] });
  }
  return get(`api/metrics?revs=${revs.map(encodeURIComponent).join(',')}`);
}

export function fetchDetails(id: string, rev: string): Promise<NodeDetails> {
  return get(`api/node?id=${encodeURIComponent(id)}&rev=${encodeURIComponent(rev)}`);
}

/** Brings a file only a remote has into the local cache (the one request that transfers data). */
export function fetchFromRemote(path: string, rev: string): Promise<{ fetched: boolean }> {
  return post('api/fetch', { path, rev });
}
