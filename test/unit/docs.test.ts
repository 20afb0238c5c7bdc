import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_MD, renderApiMarkdown } from '../../scripts/gen-api-docs.mjs';
import { COMMANDS_MD, renderCommandsMarkdown } from '../../scripts/gen-docs.mjs';
import { buildProgram } from '../../src/cli/program.js';

const root = join(import.meta.dirname, '..', '..');
const PENDING = ['images/ui.png', 'benchmarks.md'];

describe('docs', () => {
  it('docs/commands.md matches the CLI definitions (regenerate: node scripts/gen-docs.mjs)', () => {
    const expected = renderCommandsMarkdown(buildProgram());
    expect(readFileSync(COMMANDS_MD, 'utf8')).toBe(expected);
  });

  it('docs/api.md matches the TSDoc of src/core/index.ts (regenerate: node scripts/gen-api-docs.mjs)', () => {
    expect(readFileSync(API_MD, 'utf8')).toBe(renderApiMarkdown());
  }, 60_000);

  it('documents every command and subcommand, and no hidden option', () => {
    const text = readFileSync(COMMANDS_MD, 'utf8');
    const program = buildProgram();
    const walk = (names: string[], commands: typeof program.commands): void => {
      for (const cmd of commands) {
        if (cmd.name() === 'help') continue;
        const path = [...names, cmd.name()];
        expect(text).toContain(`## sluice ${path.join(' ')}\n`);
        walk(path, cmd.commands);
      }
    };
    walk([], program.commands);
    expect(text).not.toContain('--wait');
  });

  it('links only to pages and images that exist', () => {
    const pages = [
      'README.md',
      ...['getting-started', 'commands', 'dvc-compatibility', 'remotes', 'api'].map(
        (p) => `docs/${p}.md`,
      ),
    ];
    for (const page of pages) {
      const text = readFileSync(join(root, page), 'utf8');
      const base = join(root, page, '..');
      for (const [, target = ''] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        // Written by other jobs (the ui screenshot, the benchmark results): checked once they land.
        if (PENDING.some((p) => target.endsWith(p)) && !existsSync(join(base, target))) continue;
        expect(existsSync(join(base, target)), `${page} links to ${target}`).toBe(true);
      }
    }
  });
});
