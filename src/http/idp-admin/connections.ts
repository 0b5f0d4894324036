import express, { Router, type Request, type Response } from 'express';
import { notFound } from '../../domain/errors.js';
import type { AdminUser, StoredConnection } from '../../domain/types.js';
import type { FieldErrors } from '../../services/connection-input.js';
import { formStrings } from '../../services/connection-input.js';
import type { ConnectionAdminService, Kind } from '../../services/connections.js';
import { translatorOf } from './words.js';
import { requestContext } from '../middleware/context.js';

const admin = (res: Response) => res.locals.user as AdminUser;
const kindOf = (v: unknown): Kind | undefined => (v === 'oidc' || v === 'saml' ? v : undefined);
const base = '/idp-admin/connections';

/** What the form shows for a stored connection: its settings, never a secret (only whether one is kept). */
function formValues(c: StoredConnection): Record<string, string> {
  const s = c.settings;
  const common = {
    id: c.id, partnerId: c.partnerId, displayName: c.displayName,
    partnerAdminValues: s.roles['partner-admin'].join('\n'), idpAdminValues: s.roles['idp-admin'].join('\n'),
  };
  if (s.type === 'oidc') return { ...common, issuer: s.issuer, clientId: s.clientId, tokenEndpointAuth: s.tokenEndpointAuth, scope: s.scope, roleClaim: s.roleClaim };
  const on = (b: boolean) => (b ? 'on' : '');
  return {
    ...common, metadataSource: s.metadataUrl ? 'url' : 'xml', metadataUrl: s.metadataUrl ?? '', metadataXml: s.metadataXml ?? '',
    signAuthnRequests: on(s.signAuthnRequests), spCert: s.spCert ?? '', wantResponseSigned: on(s.wantResponseSigned),
    wantAssertionsSigned: on(s.wantAssertionsSigned), allowIdpInitiated: on(s.allowIdpInitiated), clockSkewSeconds: String(s.clockSkewSeconds),
    roleClaim: s.roleAttribute,
  };
}

const defaults: Record<Kind, Record<string, string>> = {
  oidc: { tokenEndpointAuth: 'client_secret_basic', scope: 'openid email profile', roleClaim: 'groups', partnerAdminValues: 'resetbridge-admins', idpAdminValues: 'resetbridge-idp-admins' },
  saml: {
    metadataSource: 'url', wantResponseSigned: 'on', wantAssertionsSigned: 'on', clockSkewSeconds: '60', roleClaim: 'groups',
    partnerAdminValues: 'resetbridge-admins', idpAdminValues: 'resetbridge-idp-admins',
  },
};

/**
 * Pasted IdP metadata is larger than any other form of ours (an IdP with several certificates
 * easily passes 16 kB): this parser runs before the app's small global one, for these forms only.
 */
export const connectionFormParser: Router = Router().post(['/idp-admin/connections/new', '/idp-admin/connections/:id'], express.urlencoded({ extended: false, limit: '600kb' }));

/** IdP admin pages: the partners' SSO connections — list, add, edit, disable, delete. Behind the idp-admin guard. */
export function connectionRoutes(deps: { connections: ConnectionAdminService }): Router {
  const router = Router();
  const svc = deps.connections;

  async function formPage(res: Response, kind: Kind, opts: { stored?: StoredConnection; values: Record<string, string>; errors?: FieldErrors; saved?: boolean; status?: number }) {
    const id = opts.stored?.id ?? opts.values.id ?? '';
    const settings = opts.stored?.settings;
    res.status(opts.status ?? 200).render('idp-admin/connection-form', {
      title: opts.stored ? translatorOf(res).t('admin:idp.connections.pageTitle', { id: opts.stored.id }) : translatorOf(res).t('admin:idp.connections.newTitle', { kind: kind === 'oidc' ? 'OpenID Connect' : 'SAML' }),
      kind, stored: opts.stored, values: opts.values, errors: opts.errors ?? {}, saved: !!opts.saved,
      partners: await svc.partners(admin(res)),
      endpoints: id ? svc.endpoints(id) : undefined,
      secretKept: settings?.type === 'oidc', spKeyKept: settings?.type === 'saml' && !!settings.spKeySealed,
      idp: settings?.type === 'saml' ? { ...settings.idp, fingerprints: svc.fingerprints(settings.idp.certs) } : undefined,
    });
  }

  router.get('/connections', async (req, res) => {
    res.render('idp-admin/connections', {
      title: translatorOf(res).t('admin:idp.connections.title'), rows: await svc.list(admin(res)),
      deleted: typeof req.query.deleted === 'string' ? req.query.deleted : undefined,
    });
  });

  router.get('/connections/new', async (req, res) => {
    const kind = kindOf(req.query.kind) ?? 'oidc';
    await formPage(res, kind, { values: { ...defaults[kind], partnerId: typeof req.query.partner === 'string' ? req.query.partner : '' } });
  });

  router.post('/connections/new', async (req, res) => {
    const kind = kindOf(req.body?.kind);
    if (!kind) throw notFound();
    const values = formStrings(req.body);
    const result = await svc.save(admin(res), kind, undefined, values, requestContext(req));
    if (result.ok) return res.redirect(303, `${base}/${encodeURIComponent(result.id)}?saved=1`);
    await formPage(res, kind, { values: withoutSecrets(values), errors: result.errors, status: 422 });
  });

  router.get('/connections/:id', async (req, res) => {
    const configured = svc.configuredOne(req.params.id);
    if (configured) {
      res.render('idp-admin/connection-configured', { title: translatorOf(res).t('admin:idp.connections.pageTitle', { id: configured.id }), connection: configured, endpoints: svc.endpoints(configured.id) });
      return;
    }
    const stored = await svc.get(admin(res), req.params.id);
    await formPage(res, stored.settings.type, { stored, values: formValues(stored), saved: req.query.saved === '1' });
  });

  router.post('/connections/:id', async (req, res) => {
    const stored = await svc.get(admin(res), req.params.id);
    const values = formStrings(req.body);
    const result = await svc.save(admin(res), stored.settings.type, stored.id, values, requestContext(req));
    if (result.ok) return res.redirect(303, `${base}/${encodeURIComponent(result.id)}?saved=1`);
    await formPage(res, stored.settings.type, { stored, values: { ...withoutSecrets(values), id: stored.id }, errors: result.errors, status: 422 });
  });

  const toggle = (disabled: boolean) => async (req: Request, res: Response) => {
    await svc.setDisabled(admin(res), String(req.params.id), disabled, requestContext(req));
    res.redirect(303, `${base}/${encodeURIComponent(String(req.params.id))}`);
  };
  router.post('/connections/:id/disable', toggle(true));
  router.post('/connections/:id/enable', toggle(false));

  router.post('/connections/:id/delete', async (req, res) => {
    await svc.remove(admin(res), req.params.id, requestContext(req));
    res.redirect(303, `${base}?deleted=${encodeURIComponent(req.params.id)}`);
  });

  return router;
}

/** A secret typed into a form that failed is not sent back to the browser: it must be typed again. */
function withoutSecrets(values: Record<string, string>): Record<string, string> {
  const { clientSecret: _s, spKey: _k, ...rest } = values;
  return rest;
}
