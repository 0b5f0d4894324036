// Bundled by scripts/build-assets.ts into views/static/vendor/strength.js (an ES module the form
// script imports on first use). Only the score is used: the server's policy stays the authority.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

const zxcvbn = new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });

/** 0 (too guessable) … 4 (very unguessable). */
export function strength(password: string, userInputs: string[]): number {
  return zxcvbn.check(password.slice(0, 256), userInputs).score;
}
