import { hkdfSync } from 'node:crypto';
import { createSecretBox, type SecretBox } from '../domain/secretbox.js';

/**
 * Seals what a console-made connection must keep secret (an OIDC client secret, an SP signing
 * key) under a key derived from the data key for this one purpose: a sealed value from another
 * part of the product does not open here, nor the other way round.
 */
export function connectionSecretBox(dataKey: Buffer): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'resetbridge sso connection secrets', 32));
  return createSecretBox({ c1: key }, 'c1');
}
