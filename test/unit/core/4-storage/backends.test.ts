import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINK_PROBE } from '../../../../src/cli/commands/versionInfo.js';
import { validateConfig } from '../../../../src/core/6-repo/config/index.js';
import {
  BACKENDS,
  backendFor,
  LOCAL_SCHEME,
  openStorage,
  supportedSchemes,
} from '../../../../src/core/4-storage/registry.js';
import type { OptionType, StorageBackend } from '../../../../src/core/4-storage/storage.js';

const BACKENDS_DIR = join(import.meta.dirname, '../../../../src/core/4-storage/backends');

/** The folders under backends/, each a backend. */
function backendFolders(): string[] {
  return readdirSync(BACKENDS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A value DVC's schema accepts for an option of this type (none for a Python-typed one). */
function validValue(type: OptionType): string | undefined {
  if (type === 'str') return 'x';
  if (type === 'bool') return 'true';
  if (type === 'cacheType') return 'copy';
  if (type === 'pythonBool' || type === 'pythonInt') return undefined;
  if ('int' in type) return String(type.int.min ?? 7);
  if ('float' in type) return '1.5';
  return type.oneOf[0];
}

function urlFor(scheme: string): string {
  return scheme === LOCAL_SCHEME ? '/tmp/remote' : `${scheme}://host/path`;
}

describe('storage backends', () => {
  it('each folder under backends/ declares one backend, and the registry holds every one', async () => {
    const declared: StorageBackend[] = [];
    for (const folder of backendFolders()) {
      const module = (await import(join(BACKENDS_DIR, folder, 'index.ts'))) as Record<
        string,
        unknown
      >;
      const backends = Object.values(module) as StorageBackend[];
      expect(backends, folder).toHaveLength(1);
      const backend = backends[0];
      expect(backend.name, folder).toBe(folder);
      declared.push(backend);
    }
    expect(new Set(declared)).toEqual(new Set(BACKENDS));
  });

  it.each(BACKENDS.map((b) => [b.name, b] as const))(
    '%s declares its schemes, options, capabilities, import rule and factory',
    (_name, backend) => {
      expect(backend.schemes.length).toBeGreaterThan(0);
      for (const scheme of backend.schemes) {
        expect(scheme).toMatch(/^[a-z][a-z0-9+.-]*$/);
        expect(backendFor(scheme)).toBe(backend);
      }
      expect(Object.keys(backend.options).length).toBeGreaterThan(0);
      expect(typeof backend.capabilities.canList).toBe('boolean');
      expect([2, 3]).toContain(backend.capabilities.listPrefixLength);
      expect(backend.capabilities.defaultJobs).toBeGreaterThan(0);
      expect(typeof backend.open).toBe('function');
      const rule = backend.importUrl;
      if (rule?.source === 'storage' && rule.checksum === 'etag') {
        expect(typeof rule.recordedEtag('"abc"')).toBe('string');
      }
    },
  );

  it('no scheme is claimed by two backends', () => {
    const schemes = BACKENDS.flatMap((b) => b.schemes);
    expect(new Set(schemes).size).toBe(schemes.length);
  });

  it('`sluice version` and the registry list the declared schemes, in order', async () => {
    const schemes = BACKENDS.flatMap((b) => b.schemes);
    expect(supportedSchemes()).toEqual(schemes);
    expect(LINK_PROBE).toBe(schemes.join(', '));
    await expect(openStorage('nope://x', {})).rejects.toThrow(
      expect.objectContaining({ hint: `supported: ${schemes.join(', ')}` }) as Error,
    );
  });

  it('a storage answers the capabilities its backend declares', async () => {
    const storage = await openStorage(urlFor(LOCAL_SCHEME), {});
    expect(storage.capabilities).toBe(backendFor(LOCAL_SCHEME)?.capabilities);
    await storage.close();
  });

  it.each(BACKENDS.flatMap((b) => b.schemes.map((s) => [s, b] as const)))(
    'the config accepts the options %s declares, and refuses others',
    (scheme, backend) => {
      const section: Record<string, string> = { url: urlFor(scheme), jobs: '4' };
      for (const [key, type] of Object.entries(backend.options)) {
        const value = validValue(type);
        if (value !== undefined) section[key] = value;
      }
      expect(() => validateConfig({ [`remote "r"`]: section })).not.toThrow();
      expect(() => validateConfig({ [`remote "r"`]: { ...section, not_an_option: 'x' } })).toThrow(
        /extra keys not allowed/,
      );
    },
  );

  it('the config checks each declared option by its type', () => {
    const s3 = backendFor('s3');
    expect(s3?.options.listobjects).toBe('bool');
    expect(() =>
      validateConfig({ 'remote "r"': { url: 's3://b/p', listobjects: 'maybe' } }),
    ).toThrow(/expected true or false/);
  });
});
