// Types for scripts/gen-docs.mjs, which test/unit/docs.test.ts imports.
import type { Command } from 'commander';

/** Absolute path of docs/commands.md. */
export const COMMANDS_MD: string;

/** The Markdown command reference of `program`. */
export function renderCommandsMarkdown(program: Command): string;
