#!/usr/bin/env node
// The published entry: the compiled CLI when built (dist/), else the TypeScript source (Node >= 22.18).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(built) ? built : new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(entry.href);
process.exit(await main(process.argv));
