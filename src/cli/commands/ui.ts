import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';

interface UiFlags {
  port?: string;
  host?: string;
  open?: boolean;
  rev?: string;
}

/** Opens a URL in the desktop browser; best effort. */
async function openBrowser(url: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser: the address is printed anyway
  }
}

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('Serve the interactive pipeline page (graph, status, metrics) on this machine')
    .option('--port <port>', 'port to listen on (0: any free port)', '0')
    .option('--host <host>', 'address to bind; anything but loopback exposes the page', '127.0.0.1')
    .option('--open', 'open the page in the default browser')
    .option('--rev <rev>', 'show the pipeline at this git revision first')
    .action(async (flags: UiFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { SluiceError } = await import('../../core/1-base/errors.js');
      const port = Number(flags.port ?? '0');
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new SluiceError('BAD_ARGUMENTS', `invalid port '${flags.port ?? ''}'`, {
          hint: 'use a number from 0 to 65535 (0 picks a free port)',
        });
      }
      const { startUiServer, findAppDir } = await import('../../ui-server/server.js');
      if (findAppDir() === undefined) {
        ctx.ui.warn(
          'the pipeline page is not built; the API works, run `npm run build` for the page',
        );
      }
      if (flags.rev !== undefined && repo.git !== null) await repo.git.resolveRev(flags.rev);
      let server;
      try {
        server = await startUiServer(repo, { host: flags.host ?? '127.0.0.1', port });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          throw new SluiceError(
            'BAD_ARGUMENTS',
            `cannot listen on ${flags.host ?? '127.0.0.1'}:${port} (${code})`,
            {
              hint: 'choose another --port, or --port 0 for any free one',
            },
          );
        }
        throw error;
      }
      const url =
        flags.rev === undefined ? server.url : `${server.url}?rev=${encodeURIComponent(flags.rev)}`;
      ctx.ui.data(`Sluice pipeline page: ${url}`);
      ctx.ui.out('Press Ctrl+C to stop.');
      if (flags.open === true) await openBrowser(url);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
