/** The page's state kept in its address (`?rev=…&node=…`), so that a link reopens the same view. */

export function initialRev(): string {
  const rev = new URLSearchParams(window.location.search).get('rev');
  return rev === null || rev === '' ? 'workspace' : rev;
}

export function initialNode(): string | null {
  return new URLSearchParams(window.location.search).get('node');
}

export function setUrlState(rev: string, node: string | null): void {
  const params = new URLSearchParams(window.location.search);
  if (rev === 'workspace') params.delete('rev');
  else params.set('rev', rev);
  if (node === null) params.delete('node');
  else params.set('node', node);
  const q = params.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${q === '' ? '' : `?${q}`}`);
}
