import { useEffect, useState } from 'react';
import type { LivePayload } from '../../src/ui-server/types.ts';
import { staticData } from './api.ts';

/**
 * Live repro states, pushed by the server while `sluice repro` runs. `onFinished` is called when
 * a repro the page saw running ends (it changed hashes and status: the graph is stale).
 */
export function useLiveRepro(onFinished: () => void): LivePayload {
  const [live, setLive] = useState<LivePayload>({ running: false, stages: {} });
  useEffect(() => {
    if (staticData !== undefined || typeof EventSource === 'undefined') return undefined;
    const source = new EventSource('api/events');
    let wasRunning = false;
    let seenRunning = false;
    source.addEventListener('live', (event) => {
      const payload = JSON.parse((event as MessageEvent<string>).data) as LivePayload;
      // states of a repro that ended before the page opened are history, not live
      seenRunning ||= payload.running;
      setLive(seenRunning ? payload : { running: false, stages: {} });
      if (wasRunning && !payload.running) onFinished();
      wasRunning = payload.running;
    });
    return () => source.close();
    // Subscribed once: `onFinished` must not change meaning between renders (a state setter).
  }, []);
  return live;
}
