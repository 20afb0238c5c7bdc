import { lstatSync, statSync, type Stats } from 'node:fs';
import type { DirStamp, FileStamp, HashCache } from './hashCache.js';
import { dirObjectHash, serializeDirObject, type DirEntry } from '../3-objects/dirObject.js';
import { md5FileSync, type HashName } from '../3-objects/hashFile.js';
import type { DvcIgnore } from './dvcIgnore.js';
import type { ReadObserver } from '../2-fs/readObserver.js';
import { SHARED_STAMP_MIN_FILES, folderStamp } from './folderStamp.js';
import { walkFiles, type WalkedFile } from './walk.js';

/** A file of a hashed folder; its path on disk is the folder's joined with `relpath`. */
export interface HashedFile extends DirEntry {
  size: number;
}

export interface PathHash {
  isDir: boolean;
  /** md5 of a file, or `<md5>.dir` of a directory listing. */
  hash: string;
  size: number;
  nfiles?: number;
  isexec: boolean;
  /** For directories: the files and the serialized `.dir` object. */
  files?: HashedFile[];
  dirObject?: string;
}

export interface HashContext {
  hashCache: HashCache;
  ignore: DvcIgnore;
  /** Called with the number of bytes read whenever file content is hashed. */
  onBytesHashed?: (bytes: number) => void;
  /** Told of each path hashed; a folder is known to it by its stamp (see readObserver.ts). */
  observer?: ReadObserver;
}

const EXEC_BITS = 0o111;

export function isExecutable(stats: Stats): boolean {
  return (stats.mode & EXEC_BITS) !== 0;
}

/** The hash of one file, from the hash cache when inode, mtime and size are unchanged. */
export function hashFile(
  ctx: HashContext,
  absPath: string,
  cacheKey: string,
  stats: FileStamp,
  name: HashName = 'md5',
): string {
  const known = ctx.hashCache.get(cacheKey, stats, name);
  if (known !== undefined) return known;
  const hash = md5FileSync(absPath, name);
  ctx.onBytesHashed?.(stats.size);
  ctx.hashCache.set(cacheKey, stats, hash, name);
  return hash;
}

export interface HashPathOptions {
  /**
   * false when only the hash and totals are wanted (status): an unchanged folder is then
   * answered from its stamp digest, without `files` and `dirObject`.
   */
  listing?: boolean;
}

/**
 * Hashes a workspace path (file or directory). `repoRelPath` is the repo-relative POSIX path,
 * used for `.dvcignore` rules and as the hash-cache key. Returns undefined when it does not exist.
 */
export function hashPath(
  ctx: HashContext,
  absPath: string,
  repoRelPath: string,
  name: HashName = 'md5',
  options: HashPathOptions = {},
): PathHash | undefined {
  const observer = ctx.observer;
  const stats = statSync(absPath, { throwIfNoEntry: false });
  if (stats === undefined || !stats.isDirectory()) observer?.onRead(absPath);
  if (stats === undefined) return undefined;
  if (!stats.isDirectory()) {
    return {
      isDir: false,
      hash: hashFile(ctx, absPath, repoRelPath, stats, name),
      size: stats.size,
      isexec: isExecutable(stats),
    };
  }
  const hash = (): { result: PathHash; digest: string; listingFile?: string } =>
    hashFolder(ctx, absPath, repoRelPath, name, options);
  // An observer knows the folder by its stamp, not by the reads inside it.
  return observer === undefined ? hash().result : observer.onFolder(absPath, repoRelPath, hash);
}

/**
 * hashPath of a folder, with the folder's stamp (see walk.ts) as it is now, and for a large
 * folder (stamped with the helper thread) the file that keeps its listings.
 */
function hashFolder(
  ctx: HashContext,
  absPath: string,
  repoRelPath: string,
  name: HashName,
  options: HashPathOptions,
): { result: PathHash; digest: string; listingFile?: string } {
  // What the folder was when last hashed: a walk giving the same stamp answers a status.
  const previous =
    options.listing === false ? ctx.hashCache.dirStamp(repoRelPath, name) : undefined;
  // A large folder: its stamp alone, with a helper thread, answers a no-op.
  if (previous !== undefined && previous.nfiles >= SHARED_STAMP_MIN_FILES) {
    const listingFile = ctx.hashCache.listingFile(repoRelPath);
    if (folderStamp(absPath, repoRelPath, ctx.ignore, { listingFile }) === previous.digest) {
      return { result: unchangedFolder(previous), digest: previous.digest, listingFile };
    }
  }
  const walked: WalkedFile[] = [];
  const digest = walkFiles(absPath, repoRelPath, ctx.ignore, (file) => walked.push(file));
  const large =
    walked.length >= SHARED_STAMP_MIN_FILES
      ? { listingFile: ctx.hashCache.listingFile(repoRelPath) }
      : {};
  if (previous?.digest === digest) return { result: unchangedFolder(previous), digest, ...large };
  const files: HashedFile[] = [];
  let size = 0;
  for (const file of walked) {
    const md5 = hashFile(ctx, file.absPath, `${repoRelPath}/${file.relpath}`, file.stats, name);
    size += file.stats.size;
    files.push({ relpath: file.relpath, md5, size: file.stats.size });
  }
  const dirObject = serializeDirObject(files);
  const hash = dirObjectHash(dirObject);
  ctx.hashCache.setDirStamp(repoRelPath, { digest, hash, size, nfiles: files.length }, name);
  const result: PathHash = {
    isDir: true,
    hash,
    size,
    nfiles: files.length,
    isexec: false,
    files,
    dirObject,
  };
  return { result, digest, ...large };
}

function unchangedFolder(stamp: DirStamp): PathHash {
  return { isDir: true, hash: stamp.hash, size: stamp.size, nfiles: stamp.nfiles, isexec: false };
}

/** lstat that answers undefined for a missing path. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
