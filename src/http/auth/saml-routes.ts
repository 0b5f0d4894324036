import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { Passport } from 'passport';
import { MultiSamlStrategy, type Profile, type VerifiedCallback } from '@node-saml/passport-saml';
import { AppError } from '../../domain/errors.js';
import { requestContext, safeReturnTo } from '../middleware/context.js';
import { completeSignIn, refuseSignIn, type SignInDeps } from './complete.js';
import type { ConnectionLookup, SamlSso, SsoIdentity, SamlLogoutInfo } from './connection.js';

const ACS = '/auth/:connection/saml/acs';
const SLO = '/auth/:connection/saml/slo';

/**
 * SAML responses are larger than any form of ours (certificates ride along): this parser runs
 * before the app's small global one, for the two endpoints an IdP posts to.
 */
export const samlBodyParser: Router = Router().post([ACS, SLO], express.urlencoded({ extended: false, limit: '512kb' }));

type SignedIn = SsoIdentity & { logout: SamlLogoutInfo };

/**
 * SP metadata, Assertion Consumer Service and Single Logout for every SAML connection, through
 * passport-saml's MultiSamlStrategy: the options are looked up per request for the connection in
 * the path. The ACS takes no CSRF token (the IdP posts it); the signed response and its
 * InResponseTo, checked against the request cache, are what stand in for one.
 */
export function samlRoutes(deps: SignInDeps & { connections: ConnectionLookup; session: RequestHandler[] }): Router {
  const router = Router();
  // The connection of the path, looked up once per request (it may have been made or changed in the
  // console a moment ago): first by the route, then read by passport's callbacks.
  const resolved = new WeakMap<Request, SamlSso>();
  const connectionOf = (req: Request) => resolved.get(req);
  const resolve = async (req: Request): Promise<SamlSso | undefined> => {
    const found = await deps.connections.get(String(req.params.connection));
    if (found?.protocol !== 'saml') return undefined;
    resolved.set(req, found);
    return found;
  };
  const unknown = () => new AppError('NOT_FOUND', 404, 'This sign-in link is not known. Start again from the sign-in page.');

  const passport = new Passport();
  passport.use('saml', new MultiSamlStrategy(
    {
      passReqToCallback: true,
      getSamlOptions: (req, done) => {
        const connection = connectionOf(req);
        if (!connection) return done(unknown());
        connection.samlOptions().then((options) => done(null, options), (e: Error) => done(e));
      },
    },
    (req: Request, profile: Profile | null, done: VerifiedCallback) => {
      connectionOf(req)!.identify(profile!).then((identity) => done(null, { ...identity }), (e: Error) => done(e));
    },
    // A LogoutRequest from the IdP: the session it names ends if it is this browser's.
    (req: Request, profile: Profile | null, done: VerifiedCallback) => {
      const user = req.session.user;
      const mine = !!user && user.connectionId === connectionOf(req)?.config.id && req.session.sso?.protocol === 'saml'
        && req.session.sso.logout.nameID === profile?.nameID;
      const ended = mine ? deps.signIn.signedOut(user, requestContext(req), 'idp-logout') : Promise.resolve();
      if (mine) {
        delete req.session.user;
        delete req.session.sso;
      }
      ended.then(() => done(null, { nameID: profile?.nameID ?? '' }), (e: Error) => done(e));
    },
  ));

  router.get('/auth/:connection/saml/metadata', async (req, res) => {
    const connection = await resolve(req);
    if (!connection) throw unknown();
    res.type('application/samlmetadata+xml').send(connection.metadata());
  });

  router.post(ACS, ...deps.session, async (req, res, next) => {
    const connection = await resolve(req);
    if (!connection) return next(unknown());
    const finish = async (err: unknown, identity: SignedIn | false | undefined) => {
      if (err || !identity) {
        return refuseSignIn(deps, req, connection, err ? connection.failureReason(err, req.body?.SAMLResponse) : 'rejected');
      }
      const { logout, ...who } = identity;
      await completeSignIn(deps, req, res, connection, who, safeReturnTo(req.body?.RelayState), { protocol: 'saml', logout });
    };
    passport.authenticate('saml', { session: false }, (err: unknown, identity: SignedIn | false) => {
      finish(err, identity).catch(next);
    })(req, res, next);
  });

  const slo = async (req: Request, res: Response, next: NextFunction) => {
    const connection = await resolve(req);
    if (!connection) return next(unknown());
    if (req.query.SAMLRequest && !req.query.Signature) {
      // An unsigned LogoutRequest could sign anyone out from a link: only signed ones count.
      return next(new AppError('SLO_UNSIGNED', 400, 'This sign-out request is not signed by your company\'s identity provider.'));
    }
    // passport-saml answers "Success" only when the LogoutRequest names this session's user.
    const sso = req.session.sso;
    if (sso?.protocol === 'saml' && req.session.user?.connectionId === connection.config.id) req.user = { nameID: sso.logout.nameID };
    const done = () => res.redirect(303, `/signed-out?connection=${encodeURIComponent(connection.config.id)}`);
    const isRequest = !!(req.query.SAMLRequest ?? req.body?.SAMLRequest);
    passport.authenticate('saml', { session: false }, (err: unknown) => {
      if (err && isRequest) return next(new AppError('SLO_INVALID', 400, 'This sign-out request from your company\'s identity provider is not valid.'));
      // Our own session ended before the browser went to the IdP; a LogoutResponse that does not
      // validate only means the IdP's side is unconfirmed.
      if (err) return res.redirect(303, `/signed-out?connection=${encodeURIComponent(connection.config.id)}&idp=unconfirmed`);
      done();
    })(req, res, done);
  };
  router.get(SLO, ...deps.session, slo);
  router.post(SLO, ...deps.session, slo);

  return router;
}
