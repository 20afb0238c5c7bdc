/**
 * What the core tells whoever watches a run about the inputs it reads. The CLI's answer memo
 * (src/cli/answer-memo) implements it to learn what a `status` or no-op `repro` depended on,
 * so that the next run with the same inputs can replay the answer; everyone else gets
 * NO_OBSERVER. The observer is handed in, as isomorphic-git takes its `fs`: `Repo.open` takes
 * it and passes it on to the config, git, the `.dvcignore` rules, the cache and the hash
 * context. Nothing in the core keeps one in a module variable.
 *
 * The contract is one-sided: a read the core makes without telling the observer could let a
 * stale answer be replayed, so every read of the workspace, the cache, the config, git and the
 * environment on the path of an observed command calls one of these. What the observer cannot
 * stand a witness for (a process started, a connection, a write outside Sluice's state) is
 * reported through `onUnwitnessed`, and the run's answer is then not remembered.
 */
export interface ReadObserver {
  /**
   * The run looked at `absPath`: read it, stat it, listed it or tested whether it exists. An
   * absent path is reported too: its appearing would change the answer.
   */
  onRead(absPath: string): void;
  /** The run read the environment variable `name` (set or not). */
  onEnv(name: string): void;
  /**
   * Hashes the workspace folder `absDir` with `stamp`, which answers with the folder's stamp:
   * the observer knows the folder by it, not by the reads inside. A large folder (stamped with
   * the helper thread, see folderStamp.ts) comes with the file that keeps its listings.
   */
  onFolder<T>(
    absDir: string,
    relDir: string,
    stamp: () => { result: T; digest: string; listingFile?: string },
  ): T;
  /** The run did something no witness stands for; `what` names it (for tests and debugging). */
  onUnwitnessed(what: string): void;
}

/** The observer of a run nobody watches. */
export const NO_OBSERVER: ReadObserver = {
  onRead: () => undefined,
  onEnv: () => undefined,
  onFolder: (_absDir, _relDir, stamp) => stamp().result,
  onUnwitnessed: () => undefined,
};

/** Reads the environment variable `name`, telling `observer`. */
export function readEnv(
  observer: ReadObserver,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  observer.onEnv(name);
  return env[name];
}
