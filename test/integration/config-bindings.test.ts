import { afterAll, describe, expect, it } from 'vitest';
import { demoTenants } from '../../src/demo/tenants.js';
import { startProduct, type Product } from '../support/product.js';

const company = demoTenants().customers.find((c) => c.partnerId === 'contoso')!;
let product: Product | undefined;
afterAll(async () => {
  await product?.stop();
});

describe('bindings in the configuration', () => {
  it('bind a company to its directory at start, and the console shows it', async () => {
    product = await startProduct({
      bindings: [
        { partner: 'contoso', customer: company.id, instance: 'demo-directory', mapping: '{localpart}', revokeSessions: true },
        { partner: 'contoso', customer: 'cus_not_there_yet', instance: 'demo-directory' },
      ],
    } as never);
    expect((await product.store.getCustomer('contoso', company.id))!.directory).toEqual({ instance: 'demo-directory', mapping: '{localpart}', revokeSessions: true });
    expect(product.logLines.some((l) => l.includes('configured binding names a company that does not exist'))).toBe(true);
  });

  it('stop start-up when a binding names a directory that is not configured, naming the path', async () => {
    await expect(startProduct({ bindings: [{ partner: 'contoso', customer: company.id, instance: 'nowhere-ldap', secondaries: [{ instance: 'hr-nothing' }] }] } as never))
      .rejects.toThrow(/bindings\[0\]\.instance: no directory "nowhere-ldap"[\s\S]*bindings\[0\]\.secondaries\[0\]\.instance: no directory "hr-nothing"/);
  });
});
