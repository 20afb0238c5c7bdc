// Types for scripts/gen-api-docs.mjs, which test/unit/docs.test.ts imports.

/** Absolute path of docs/api.md. */
export const API_MD: string;

/** The Markdown reference of what src/core/index.ts exports. */
export function renderApiMarkdown(): string;
