import { fastLayout, type LayoutEdge, type LayoutNode, type Positions } from './layoutCore.ts';
import LayoutWorker from './layoutWorker.ts?worker&inline';

/** Above this many nodes the fast layout is used: ELK would take seconds. */
export const ELK_LIMIT = 350;

let worker: Worker | undefined;
let seq = 0;
const pending = new Map<number, (p: Positions | undefined) => void>();

function elkWorker(): Worker | undefined {
  if (worker !== undefined) return worker;
  try {
    worker = new LayoutWorker();
    worker.onmessage = (event: MessageEvent<{ seq: number; positions?: Positions }>) => {
      const done = pending.get(event.data.seq);
      pending.delete(event.data.seq);
      done?.(event.data.positions);
    };
    worker.onerror = () => {
      for (const done of pending.values()) done(undefined);
      pending.clear();
    };
  } catch {
    worker = undefined;
  }
  return worker;
}

export async function layout(nodes: LayoutNode[], edges: LayoutEdge[]): Promise<Positions> {
  if (nodes.length > ELK_LIMIT) return fastLayout(nodes, edges);
  const w = elkWorker();
  if (w === undefined) return fastLayout(nodes, edges);
  const id = ++seq;
  const result = await new Promise<Positions | undefined>((resolve) => {
    pending.set(id, resolve);
    w.postMessage({ seq: id, nodes, edges });
    setTimeout(() => {
      if (pending.delete(id)) resolve(undefined);
    }, 4000);
  });
  return result ?? fastLayout(nodes, edges);
}
