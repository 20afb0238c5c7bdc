import { useEffect, useState } from 'react';
import type { RevisionsPayload } from '../../src/ui-server/types.ts';
import { fetchRevisions } from './api.ts';

/** The branches, tags and recent commits the revision picker offers (null until loaded). */
export function useRevisions(): RevisionsPayload | null {
  const [revisions, setRevisions] = useState<RevisionsPayload | null>(null);
  useEffect(() => {
    fetchRevisions().then(setRevisions, () => undefined);
  }, []);
  return revisions;
}
