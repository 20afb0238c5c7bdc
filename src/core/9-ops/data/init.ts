import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SluiceError } from '../../1-base/errors.js';
import { DVC_DIR } from '../../6-repo/repo.js';
import { Git } from '../../6-repo/git.js';

export interface InitOptions {
  noScm?: boolean;
  force?: boolean;
  subdir?: boolean;
}

export const DVCIGNORE_TEXT =
  '# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n';

/** `sluice init`: the `.dvc` folder exactly as `dvc init` lays it out. */
export async function init(
  dir: string,
  options: InitOptions,
): Promise<{ root: string; gitFiles: string[] }> {
  const root = resolve(dir);
  if (options.noScm === true && options.subdir === true) {
    throw new SluiceError('BAD_ARGUMENTS', 'cannot initialize repo with `--no-scm` and `--subdir`');
  }
  mkdirSync(root, { recursive: true });
  const git = options.noScm === true ? null : await Git.find(root);
  if (options.noScm !== true) {
    if (git === null) {
      throw new SluiceError(
        'FAILED',
        `'${root}' is not tracked by any supported SCM tool (e.g. Git)`,
        {
          hint: "use `--no-scm` if you don't want to use any SCM, or `--subdir` to initialize inside a subdirectory of a parent SCM repository",
        },
      );
    }
    if (git.root !== root && options.subdir !== true) {
      throw new SluiceError(
        'FAILED',
        `'${root}' is not the root of the git repository '${git.root}'`,
        {
          hint: 'use `--subdir` to initialize a repository inside a subdirectory of a git repository',
        },
      );
    }
  }
  const dvcDir = join(root, DVC_DIR);
  if (existsSync(dvcDir)) {
    if (options.force !== true) {
      throw new SluiceError('FAILED', `'${DVC_DIR}' exists. Use \`-f\` to force.`);
    }
    rmSync(dvcDir, { recursive: true, force: true });
  }
  mkdirSync(join(dvcDir, 'tmp'), { recursive: true });
  writeFileSync(join(dvcDir, 'tmp', 'btime'), '');
  writeFileSync(
    join(dvcDir, 'config'),
    options.noScm === true ? '[core]\n    no_scm = True\n' : '',
  );
  const gitFiles: string[] = [];
  if (git !== null) {
    writeFileSync(join(dvcDir, '.gitignore'), '/config.local\n/tmp\n/cache\n');
    const ignored = await git.isIgnored([`${relativeTo(git.root, dvcDir)}`]);
    if (ignored.size > 0) {
      rmSync(dvcDir, { recursive: true, force: true });
      throw new SluiceError('FAILED', `'${dvcDir}' is ignored by your SCM tool`, {
        hint: 'remove the pattern that ignores .dvc from your .gitignore',
      });
    }
  }
  const dvcignore = join(root, '.dvcignore');
  if (!existsSync(dvcignore)) writeFileSync(dvcignore, DVCIGNORE_TEXT);
  if (git !== null) {
    const files = [join(dvcDir, 'config'), dvcignore, join(dvcDir, '.gitignore')].map((f) =>
      relativeTo(git.root, f),
    );
    await git.add(files);
    gitFiles.push(...files);
  }
  return { root, gitFiles };
}

function relativeTo(root: string, path: string): string {
  return path
    .slice(root.length + 1)
    .split('\\')
    .join('/');
}
