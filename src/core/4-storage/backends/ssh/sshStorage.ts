import pLimit from 'p-limit';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import type { ConnectConfig, SFTPWrapper, Stats, TransferOptions } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { SluiceError } from '../../../1-base/errors.js';
import { tempBaseName } from '../../../2-fs/atomicWrite.js';
import {
  addReclaimed,
  isTempOwnerGone,
  nothingReclaimed,
  parseTempName,
  type Reclaimed,
} from '../../../2-fs/tempFiles.js';
import {
  maskUrl,
  RemoteNotFoundError,
  type RemoteConfig,
  type RemoteStorage,
} from '../../storage.js';
import { sshCapabilities } from './capabilities.js';
import {
  folderKeys,
  listedFolder,
  authFailed,
  boolOption,
  errorField,
  intOption,
  networkCode,
  option,
  reasonOf,
  unreachable,
} from '../shared.js';
import { checkFile, corruptSourceIn } from '../../verifiedUpload.js';

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

interface SshTarget {
  host: string;
  port: number;
  username: string;
  root: string;
}

/** Subfolders listed at once; SFTP requests share one channel and are answered in turn. */
const LIST_FOLDERS_AT_ONCE = 16;

/**
 * A folder on an SSH server, over SFTP. One connection, one SFTP channel: SFTP requests are
 * pipelined, so parallel transfers share it. Uploads go to a temporary name in the target folder
 * and are renamed (OpenSSH's posix-rename), so a killed push never leaves a partial object.
 */
export class SshStorage implements RemoteStorage {
  readonly displayUrl: string;
  readonly capabilities = sshCapabilities;
  private readonly madeDirs = new Map<string, Promise<void>>();

  constructor(
    private readonly client: SftpClient,
    private readonly sftp: SFTPWrapper,
    private readonly target: SshTarget,
    url: string,
    private readonly secrets: readonly (string | undefined)[],
  ) {
    this.displayUrl = maskUrl(url);
  }

  private pathOf(key: string): string {
    return posix.join(this.target.root, ...key.split('/').filter((p) => p !== ''));
  }

  /**
   * Lists a prefix folder by folder. Each SFTP listing is several round trips (open, read until
   * the end, close), so the subfolders of a folder (a cache's 256 two-character folders) are
   * listed many at a time, not one after the other.
   */
  async *list(prefix: string): AsyncIterable<string> {
    const { files, folders } = await this.listFolder(prefix);
    yield* files;
    const limit = pLimit(LIST_FOLDERS_AT_ONCE);
    const below = folders.map((folder) => limit(() => this.listAll(folder)));
    for (const keys of below) yield* await keys;
  }

  /** Every key under `prefix` in one array (the sync engine lists many folders this way). */
  async listAll(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of this.list(prefix)) keys.push(key);
    return keys;
  }

  private async listFolder(prefix: string): Promise<{ files: string[]; folders: string[] }> {
    const { dirKey } = listedFolder(prefix);
    let entries: { filename: string; attrs: Stats }[];
    try {
      entries = await this.op<{ filename: string; attrs: Stats }[]>((done) =>
        this.sftp.readdir(this.pathOf(dirKey), done),
      );
    } catch (error) {
      if (errorField(error, 'code') === SFTP_NO_SUCH_FILE) return { files: [], folders: [] };
      throw this.translate(error, dirKey);
    }
    return folderKeys(
      prefix,
      entries
        .filter((e) => e.filename !== '.' && e.filename !== '..')
        .map((e) => ({ name: e.filename, isDir: e.attrs.isDirectory(), isFile: e.attrs.isFile() })),
    );
  }

  async exists(key: string): Promise<boolean> {
    try {
      const stats = await this.op<Stats>((done) => this.sftp.stat(this.pathOf(key), done));
      return stats.isFile();
    } catch (error) {
      if (errorField(error, 'code') === SFTP_NO_SUCH_FILE) return false;
      throw this.translate(error, key);
    }
  }

  async upload(
    localPath: string,
    key: string,
    onBytes?: (bytes: number) => void,
    md5?: string,
  ): Promise<void> {
    const target = this.pathOf(key);
    const dir = posix.dirname(target);
    await this.ensureDir(dir);
    await this.sweepOnce(dir);
    const temp = posix.join(dir, tempBaseName(posix.basename(target)));
    try {
      // SFTP reads the file itself, in parallel chunks: it is hashed on the side while it is
      // sent, and the upload is renamed into place only when the hash matches.
      const [sent, checked] = await Promise.allSettled([
        this.op((done) => this.sftp.fastPut(localPath, temp, transferOptions(onBytes), done)),
        checkFile(localPath, md5),
      ]);
      if (checked.status === 'rejected') throw checked.reason;
      if (sent.status === 'rejected') throw sent.reason;
      await this.rename(temp, target);
    } catch (error) {
      await this.op((done) => this.sftp.unlink(temp, done)).catch(() => undefined);
      throw this.translate(error, key);
    }
  }

  async download(key: string, localPath: string, onBytes?: (bytes: number) => void): Promise<void> {
    try {
      await this.op((done) =>
        this.sftp.fastGet(this.pathOf(key), localPath, transferOptions(onBytes), done),
      );
    } catch (error) {
      if (errorField(error, 'code') === SFTP_NO_SUCH_FILE) throw new RemoteNotFoundError(key);
      throw this.translate(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.op((done) => this.sftp.unlink(this.pathOf(key), done));
    } catch (error) {
      if (errorField(error, 'code') === SFTP_NO_SUCH_FILE) return;
      throw this.translate(error, key);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  /** Renames over an existing file: posix-rename where the server has it (OpenSSH does). */
  private async rename(from: string, to: string): Promise<void> {
    try {
      await this.op((done) => this.sftp.ext_openssh_rename(from, to, done));
    } catch (error) {
      if (!/not supported/i.test(error instanceof Error ? error.message : '')) throw error;
      // Plain SFTP rename refuses to overwrite; the object is content-addressed, so a file
      // already there has the same content.
      try {
        await this.op((done) => this.sftp.rename(from, to, done));
      } catch (renameError) {
        if (!(await this.exists(posix.relative(this.target.root, to)))) throw renameError;
        await this.op((done) => this.sftp.unlink(from, done));
      }
    }
  }

  /** `mkdir -p`, once per folder per session (many uploads share the same parents). */
  readonly reclaimed: Reclaimed = nothingReclaimed();
  private readonly sweptDirs = new Map<string, Promise<void>>();

  /** Sweeps an upload's folder, once, of the temporary files that killed uploads left. */
  private sweepOnce(dir: string): Promise<void> {
    let pending = this.sweptDirs.get(dir);
    if (pending === undefined) {
      pending = this.sweepDir(dir, false)
        .then((found) => addReclaimed(this.reclaimed, found))
        .catch(() => undefined); // a failed sweep must never fail the push
      this.sweptDirs.set(dir, pending);
    }
    return pending;
  }

  async removeDeadTemps(prefix: string): Promise<Reclaimed> {
    return this.sweepDir(posix.join(this.target.root, prefix), true);
  }

  /** Removes the dead owners' temporary files of one folder (and with `deep`, below it). */
  private async sweepDir(dir: string, deep: boolean): Promise<Reclaimed> {
    const reclaimed = nothingReclaimed();
    let entries: { filename: string; attrs: Stats }[];
    try {
      entries = await this.op<{ filename: string; attrs: Stats }[]>((done) =>
        this.sftp.readdir(dir, done),
      );
    } catch (error) {
      if (errorField(error, 'code') === SFTP_NO_SUCH_FILE) return reclaimed;
      throw this.translate(error, dir);
    }
    const now = Date.now();
    for (const { filename, attrs } of entries) {
      if (deep && attrs.isDirectory() && filename !== '.' && filename !== '..') {
        addReclaimed(reclaimed, await this.sweepDir(posix.join(dir, filename), true));
        continue;
      }
      const owner = parseTempName(filename, true);
      if (owner === undefined || !attrs.isFile()) continue;
      if (!isTempOwnerGone(owner, attrs.mtime * 1000, now)) continue;
      try {
        await this.op((done) => this.sftp.unlink(posix.join(dir, filename), done));
      } catch {
        continue; // gone meanwhile
      }
      reclaimed.files += 1;
      reclaimed.bytes += attrs.size;
    }
    return reclaimed;
  }

  private ensureDir(dir: string): Promise<void> {
    let pending = this.madeDirs.get(dir);
    if (pending === undefined) {
      pending = this.makeDir(dir);
      this.madeDirs.set(dir, pending);
      pending.catch(() => this.madeDirs.delete(dir));
    }
    return pending;
  }

  private async makeDir(dir: string): Promise<void> {
    try {
      const stats = await this.op<Stats>((done) => this.sftp.stat(dir, done));
      if (stats.isDirectory()) return;
    } catch (error) {
      if (errorField(error, 'code') !== SFTP_NO_SUCH_FILE) throw error;
    }
    const parent = posix.dirname(dir);
    if (parent !== dir) await this.ensureDir(parent);
    try {
      await this.op((done) => this.sftp.mkdir(dir, done));
    } catch (error) {
      // Another transfer may have created it in the meantime.
      const stats = await this.op<Stats>((done) => this.sftp.stat(dir, done)).catch(() => null);
      if (stats === null || !stats.isDirectory()) throw error;
    }
  }

  private op<T = void>(
    start: (done: (error: Error | undefined | null, value: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      start((error, value) => {
        if (error !== undefined && error !== null) reject(error);
        else resolve(value);
      });
    });
  }

  private translate(error: unknown, key: string): unknown {
    const corrupt = corruptSourceIn(error);
    if (corrupt !== undefined) return corrupt;
    if (error instanceof SluiceError || error instanceof RemoteNotFoundError) return error;
    if (networkCode(error) !== undefined) return unreachable(this.displayUrl, error);
    if (errorField(error, 'code') === SFTP_PERMISSION_DENIED) {
      return new SluiceError(
        'REMOTE',
        `permission denied on remote '${this.displayUrl}' for '${key}'`,
        { hint: `check the permissions of ${this.target.root} for user '${this.target.username}'` },
      );
    }
    return new SluiceError(
      'REMOTE',
      `remote '${this.displayUrl}': ${reasonOf(error, this.secrets)}`,
      { hint: 'run the command again; transient errors are retried' },
    );
  }
}

function transferOptions(onBytes?: (bytes: number) => void): TransferOptions {
  if (onBytes === undefined) return {};
  let reported = 0;
  return {
    step(total) {
      if (total > reported) {
        onBytes(total - reported);
        reported = total;
      }
    },
  };
}

function parseSshUrl(url: string, config: RemoteConfig): SshTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SluiceError('CONFIG', `invalid SSH URL '${maskUrl(url)}'`, {
      hint: 'use ssh://[user@]host[:port]/path',
    });
  }
  if (parsed.hostname === '') {
    throw new SluiceError('CONFIG', `invalid SSH URL '${maskUrl(url)}': no host`, {
      hint: 'use ssh://[user@]host[:port]/path',
    });
  }
  const username =
    option(config, 'user') ??
    (parsed.username === '' ? undefined : decodeURIComponent(parsed.username)) ??
    userInfo().username;
  const port = intOption(config, 'port', parsed.port === '' ? 22 : Number(parsed.port));
  const root = decodeURIComponent(parsed.pathname) || '/';
  // IPv6 hosts come bracketed from URL.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, username, root };
}

/** The first of the usual private keys that exists, when no keyfile is configured. */
function defaultKeyFile(): string | undefined {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const path = join(homedir(), '.ssh', name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** `ssh://[user@]host[:port]/path`. */
export async function createSshStorage(url: string, config: RemoteConfig): Promise<RemoteStorage> {
  const target = parseSshUrl(url, config);
  const displayUrl = maskUrl(url);
  const urlPassword = /^ssh:\/\/[^/:@]*:([^/@]*)@/i.exec(url)?.[1];
  const password =
    option(config, 'password') ??
    (urlPassword === undefined ? undefined : decodeURIComponent(urlPassword));
  if (password === undefined && boolOption(config, 'ask_password', false)) {
    // The core never prompts: a password asked for interactively belongs in config.local.
    throw new SluiceError('REMOTE', `remote '${displayUrl}' asks for a password (ask_password)`, {
      hint: 'this command cannot prompt; store it with `sluice remote modify --local <name> password <password>`',
    });
  }
  const connect: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.username,
    readyTimeout: intOption(config, 'timeout', 20) * 1000,
    // A dead server must not hang a push forever.
    keepaliveInterval: 10_000,
  };
  const keyFile =
    option(config, 'keyfile') ?? (password === undefined ? defaultKeyFile() : undefined);
  if (keyFile !== undefined) {
    try {
      connect.privateKey = readFileSync(keyFile);
    } catch (error) {
      throw new SluiceError('CONFIG', `cannot read SSH key file '${keyFile}'`, {
        hint: 'fix the keyfile option of the remote',
        cause: error,
      });
    }
    const passphrase = option(config, 'passphrase');
    if (passphrase !== undefined) connect.passphrase = passphrase;
    else if (boolOption(config, 'ask_passphrase', false)) {
      throw new SluiceError('REMOTE', `remote '${displayUrl}' asks for a key passphrase`, {
        hint: 'this command cannot prompt; store it with `sluice remote modify --local <name> passphrase <passphrase>`',
      });
    }
  }
  if (password !== undefined) connect.password = password;
  const agent = process.env.SSH_AUTH_SOCK;
  if (boolOption(config, 'allow_agent', true) && agent !== undefined && agent !== '') {
    connect.agent = agent;
  }
  const client = new SftpClient('sluice');
  let sftp: SFTPWrapper;
  try {
    sftp = await client.connect(connect);
  } catch (error) {
    await client.end().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    if (errorField(error, 'level') === 'client-authentication' || /authentication/i.test(message)) {
      throw authFailed(
        displayUrl,
        `check the user ('${target.username}'), keyfile or password of the remote (sluice remote modify --local)`,
      );
    }
    if (
      networkCode(error) !== undefined ||
      /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|timed out/i.test(message)
    ) {
      throw unreachable(displayUrl, error);
    }
    throw new SluiceError(
      'REMOTE',
      `cannot open SSH remote '${displayUrl}': ${reasonOf(error, [connect.password, connect.passphrase as string | undefined])}`,
      { hint: 'check the URL, the port and the credentials' },
    );
  }
  return new SshStorage(client, sftp, target, url, [
    connect.password,
    connect.passphrase as string | undefined,
  ]);
}
