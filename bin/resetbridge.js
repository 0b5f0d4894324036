#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the command works straight from a clone. Signals go to the
// command (it finishes the current step and saves its progress), and its exit code is ours.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src', 'cli.js');
const args = existsSync(compiled) && process.env.NODE_ENV === 'production'
  ? [compiled]
  : [createRequire(import.meta.url).resolve('tsx/cli'), path.join(root, 'src', 'cli.ts')];
const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
