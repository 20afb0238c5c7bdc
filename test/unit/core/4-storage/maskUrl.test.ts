import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskUrl } from '../../../../src/core/4-storage/storage.js';

/**
 * maskUrl on generated URLs: user names, passwords holding `/ @ : % ? #`, tokens as user names,
 * and query strings. The secrets are upper-case (hosts, paths and user names are lower-case),
 * so a partial leak shows as well as a whole one.
 */

const lower = 'abcdefghijklmnopqrstuvwxyz';
const word = (chars: string, min: number, max: number): fc.Arbitrary<string> =>
  fc
    .array(fc.constantFrom(...chars.split('')), { minLength: min, maxLength: max })
    .map((list) => list.join(''));

const schemeArb = fc.constantFrom('https', 'http', 'webdav', 'webdavs', 'ssh', 'sftp', 's3');
const hostArb = fc
  .tuple(
    word(lower, 1, 8),
    fc.option(word(lower, 2, 4)),
    fc.option(fc.integer({ min: 1, max: 65535 })),
  )
  .map(
    ([name, tld, port]) =>
      `${name}${tld === null ? '' : `.${tld}`}${port === null ? '' : `:${port}`}`,
  );
const pathArb = fc
  .array(word(`${lower}0123456789._-`, 1, 8), { maxLength: 4 })
  .map((segments) => segments.map((segment) => `/${segment}`).join(''));
/** A password: upper-case letters and digits, and the characters that broke masking. */
const passwordArb = word('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/@:%?#', 1, 16).map((pw) => `Q${pw}`);
/** A token as git hosts take them in the user name's place. */
const tokenArb = word('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~%', 4, 40).map((t) => `T${t}`);
const userArb = word(`${lower}0123456789._-`, 1, 10).map((user) => `u${user}`);
const queryArb = fc.array(
  fc.tuple(
    fc.constantFrom('X-Amz-Signature', 'sig', 'token', 'se', 'versionid', 'a'),
    word('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789%/+=-_.~:', 1, 24).map((value) => `V${value}`),
  ),
  { maxLength: 4 },
);

type Credentials =
  | { kind: 'none' }
  | { kind: 'password'; user: string; password: string }
  | { kind: 'token'; token: string }
  | { kind: 'user'; user: string };

const credentialsArb: fc.Arbitrary<Credentials> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('password' as const), user: userArb, password: passwordArb }),
  fc.record({ kind: fc.constant('token' as const), token: tokenArb }),
);

function credentialsText(credentials: Credentials): string {
  switch (credentials.kind) {
    case 'none':
      return '';
    case 'password':
      return `${credentials.user}:${credentials.password}@`;
    case 'token':
      return `${credentials.token}@`;
    case 'user':
      return `${credentials.user}@`;
  }
}

describe('maskUrl', () => {
  it('never shows a password, a token or a query value, and keeps the host and path', () => {
    fc.assert(
      fc.property(
        schemeArb,
        credentialsArb,
        hostArb,
        pathArb,
        queryArb,
        (scheme, credentials, host, path, query) => {
          const search =
            query.length === 0
              ? ''
              : `?${query.map(([key, value]) => `${key}=${value}`).join('&')}`;
          const url = `${scheme}://${credentialsText(credentials)}${host}${path}${search}`;
          const masked = maskUrl(url);
          const ssh = scheme === 'ssh' || scheme === 'sftp';
          const shownCredentials =
            credentials.kind === 'password'
              ? `${credentials.user}:***@`
              : credentials.kind === 'token'
                ? ssh
                  ? `${credentials.token}@`
                  : '***@'
                : '';
          const shownQuery =
            query.length === 0 ? '' : `?${query.map(([key]) => `${key}=***`).join('&')}`;
          expect(masked).toBe(`${scheme}://${shownCredentials}${host}${path}${shownQuery}`);
          if (credentials.kind === 'password') expect(masked).not.toContain(credentials.password);
          if (credentials.kind === 'token' && !ssh) expect(masked).not.toContain(credentials.token);
          for (const [, value] of query) expect(masked).not.toContain(value);
        },
      ),
      { seed: 20260601, numRuns: 3000 },
    );
  });

  it('never shows any part of a password, whatever follows it', () => {
    // The path may hold `@` too: the password must still not show, even if the path shows less.
    const anyPath = word(`${lower}@/:?=&.`, 0, 20);
    const plainHost = word(`${lower}.-`, 1, 12);
    fc.assert(
      fc.property(
        schemeArb,
        userArb,
        passwordArb,
        plainHost,
        anyPath,
        (scheme, user, pw, host, path) => {
          const masked = maskUrl(`${scheme}://${user}:${pw}@${host}/${path}`);
          const prefix = `${scheme}://${user}:***@`;
          expect(masked.startsWith(prefix)).toBe(true);
          // Past the user name, anything upper-case or a digit came from the password.
          expect(masked.slice(prefix.length)).not.toMatch(/[A-Z0-9]/);
        },
      ),
      { seed: 7, numRuns: 3000 },
    );
  });

  it('masks the cases users met', () => {
    expect(maskUrl('https://ghp_TOKEN123@github.com/org/repo')).toBe(
      'https://***@github.com/org/repo',
    );
    expect(maskUrl('ssh://user:pa/ss@host/path')).toBe('ssh://user:***@host/path');
    expect(maskUrl('https://u:p/w@host')).toBe('https://u:***@host');
    expect(maskUrl('ssh://user@host:22/data')).toBe('ssh://user@host:22/data');
    expect(maskUrl('https://host/f?X-Amz-Signature=abc&X-Amz-Date=2024#top')).toBe(
      'https://host/f?X-Amz-Signature=***&X-Amz-Date=***#top',
    );
    expect(maskUrl('https://acct.blob.core.windows.net/c?sv=2020&sig=abc%2F')).toBe(
      'https://acct.blob.core.windows.net/c?sv=***&sig=***',
    );
    expect(maskUrl('s3://bucket/dir@v2/file')).toBe('s3://bucket/dir@v2/file');
    expect(maskUrl('webdavs://cloud.example.com/dav/files/me@example.com/dvc')).toBe(
      'webdavs://cloud.example.com/dav/files/me@example.com/dvc',
    );
    expect(maskUrl('/local/path@1')).toBe('/local/path@1');
    expect(maskUrl('remote://other/sub')).toBe('remote://other/sub');
  });
});
