import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  HOST,
  makeTempDir,
  removeDir,
  requireBinary,
  runOk,
  startProcess,
} from './common.js';

export interface WebdavServer {
  /** `http://127.0.0.1:PORT/dav` (basic auth required). */
  url: string;
  user: string;
  password: string;
  /** The folder served at `url`, on disk. */
  root: string;
  stop(): Promise<void>;
}

const MODULES = '/usr/lib/apache2/modules';

/**
 * Debian's Apache 2.4 with mod_dav + mod_dav_fs on a free loopback port, behind basic auth with a
 * generated password. When run as root Apache drops to www-data, which then owns the DAV folder.
 */
export async function startApacheDav(): Promise<WebdavServer> {
  const apache = requireBinary('/usr/sbin/apache2');
  const dir = makeTempDir('apache');
  chmodSync(dir, 0o755);
  const root = join(dir, 'www');
  const lockDir = join(dir, 'lock');
  const runDir = join(dir, 'run');
  for (const d of [root, lockDir, runDir]) mkdirSync(d);
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const wwwData = Number(runOk('id', ['-u', 'www-data']).trim());
    const wwwGroup = Number(runOk('id', ['-g', 'www-data']).trim());
    for (const d of [root, lockDir]) chownSync(d, wwwData, wwwGroup);
  }
  const user = 'sluice';
  const password = randomBytes(12).toString('hex');
  const htpasswd = join(dir, 'htpasswd');
  runOk('htpasswd', ['-b', '-c', '-B', htpasswd, user, password]);
  chmodSync(htpasswd, 0o644);
  const port = await freePort();
  const conf = join(dir, 'apache2.conf');
  writeFileSync(
    conf,
    [
      `ServerName ${HOST}`,
      `Listen ${HOST}:${port}`,
      `PidFile ${join(runDir, 'httpd.pid')}`,
      `DefaultRuntimeDir ${runDir}`,
      `ErrorLog ${join(dir, 'error.log')}`,
      'LogLevel warn',
      ...[
        ['mpm_event_module', 'mod_mpm_event.so'],
        ['authz_core_module', 'mod_authz_core.so'],
        ['authz_user_module', 'mod_authz_user.so'],
        ['authn_core_module', 'mod_authn_core.so'],
        ['authn_file_module', 'mod_authn_file.so'],
        ['auth_basic_module', 'mod_auth_basic.so'],
        ['alias_module', 'mod_alias.so'],
        ['dav_module', 'mod_dav.so'],
        ['dav_fs_module', 'mod_dav_fs.so'],
      ].map(([name, file]) => `LoadModule ${name} ${MODULES}/${file}`),
      ...(asRoot ? ['User www-data', 'Group www-data'] : []),
      `DavLockDB ${join(lockDir, 'DavLock')}`,
      `Alias /dav ${root}`,
      `<Directory ${root}>`,
      '  Dav On',
      '  AllowOverride None',
      '  AuthType Basic',
      '  AuthName "sluice tests"',
      `  AuthUserFile ${htpasswd}`,
      '  Require valid-user',
      '</Directory>',
      '',
    ].join('\n'),
  );
  const server = await startProcess('apache2', apache, ['-f', conf, '-DFOREGROUND'], port, {
    // Apache's own env file is not read for a custom conf; it only needs a locale-free env.
    env: { APACHE_RUN_DIR: runDir, APACHE_LOG_DIR: dir },
  });
  return {
    url: `http://${HOST}:${port}/dav`,
    user,
    password,
    root,
    async stop() {
      await server.stop();
      removeDir(dir);
    },
  };
}
