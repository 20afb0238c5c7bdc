import type { Command } from 'commander';
import { contextOf } from '../context.js';

interface DemoFlags {
  python?: boolean;
  ui?: boolean;
  port?: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the classic tutorial end to end in a new folder: import data, build the pipeline, ' +
        'experiment on a branch, push and pull, then open the ui',
    )
    .argument('[dir]', 'folder to create the demo project in (must be new or empty)', 'sluice-demo')
    .option('--python', "use the tutorial's Python stages (needs pandas and scikit-learn)")
    .option('--no-ui', 'do not serve `sluice ui` at the end; print how to open it')
    .option('--port <n>', 'port for `sluice ui` at the end')
    .action(async (dir: string, flags: DemoFlags, command: Command) => {
      const ctx = contextOf(command);
      const path = await import('node:path');
      const { SluiceError } = await import('../../core/1-base/errors.js');
      const port = flags.port === undefined ? undefined : Number(flags.port);
      if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
        throw new SluiceError('BAD_ARGUMENTS', `--port must be a port number, not '${flags.port}'`);
      }
      const { runDemo, serveUi } = await import('../../demo/runDemo.js');
      // The demo asks this very program which commands it has, so that a missing one is named
      // before anything is created.
      const hasCommand = (path: string[]): boolean => {
        let scope: Command | undefined = program;
        for (const word of path) {
          scope = scope?.commands.find((c) => c.name() === word || c.aliases().includes(word));
        }
        return scope !== undefined;
      };
      const target = path.resolve(ctx.cwd, dir);
      const result = await runDemo({
        dir: target,
        python: flags.python === true,
        hasCommand,
        print: (text) => ctx.ui.data(text),
      });
      const uiCommand = `cd ${result.dir} && sluice ui${port === undefined ? '' : ` --port ${port}`}`;
      // Serving blocks until Ctrl-C, so only on a terminal: a CI run or a pipe must end.
      if (flags.ui !== false && process.stdout.isTTY) {
        ctx.ui.data(`\n# Browse the result\n$ ${uiCommand}`);
        await serveUi(result.dir, port);
      } else {
        ctx.ui.data(`\nTo browse the result, run:\n\n\t${uiCommand}\n`);
      }
    });
}
