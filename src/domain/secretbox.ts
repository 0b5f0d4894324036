import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// AES-256-GCM for secrets that must rest briefly in the store (a reset link in the mail outbox).
// Format: v1.<keyId>.<iv>.<tag>.<ciphertext>, base64url parts; the key id lets keys rotate.

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

export function createSecretBox(keys: Record<string, Buffer>, currentKeyId: string): SecretBox {
  const current = keys[currentKeyId];
  if (!current || current.length !== 32) throw new Error(`data key "${currentKeyId}" must be 32 bytes`);
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', currentKeyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed) {
      const [v, keyId, iv, tag, body] = sealed.split('.');
      const key = keyId ? keys[keyId] : undefined;
      if (v !== 'v1' || !key || !iv || !tag || body === undefined) throw new Error('sealed value has an unknown format or key');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
