import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A full commit id. */
export const GIT_SHA = /^[0-9a-f]{40}$/;

/** A git URL that names a folder on this machine (a path or `file://`). */
export function localRepoPath(url: string, cwd: string): string | undefined {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (/^[a-zA-Z][\w+.-]*:\/\//.test(url)) return undefined;
  // scp-like `host:path` (but not a Windows drive)
  if (/^[^/\\]+:/.test(url) && !/^[a-zA-Z]:[\\/]/.test(url)) return undefined;
  return resolve(cwd, url);
}

/** Where git is told to clone from: local repositories by absolute path. */
export function cloneSource(url: string, cwd: string): string {
  return localRepoPath(url, cwd) ?? url;
}

/**
 * The commit `rev` (default: HEAD) names in the repository at `url` now, without cloning (for
 * `status`); undefined when it cannot be found out.
 */
export function upstreamSha(url: string, rev: string | undefined, cwd: string): string | undefined {
  if (rev !== undefined && GIT_SHA.test(rev)) return rev;
  const source = cloneSource(url, cwd);
  const local = localRepoPath(url, cwd);
  if (local !== undefined) {
    const result = spawnSync(
      'git',
      ['rev-parse', '--verify', '--quiet', `${rev ?? 'HEAD'}^{commit}`],
      { cwd: local, encoding: 'utf8' },
    );
    const sha = result.stdout.trim();
    return result.status === 0 && GIT_SHA.test(sha) ? sha : undefined;
  }
  const result = spawnSync('git', ['ls-remote', source, rev ?? 'HEAD'], {
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    timeout: 60_000,
  });
  if (result.status !== 0) return undefined;
  const refs = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (sha !== undefined && ref !== undefined) refs.set(ref, sha);
  }
  if (rev === undefined) return refs.get('HEAD');
  return (
    refs.get(`refs/tags/${rev}^{}`) ??
    refs.get(`refs/heads/${rev}`) ??
    refs.get(`refs/tags/${rev}`) ??
    refs.get(rev)
  );
}
