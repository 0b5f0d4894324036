/**
 * A small cookie-keeping HTTP client for tests that cross real servers (the app on one port, a demo
 * IdP on another), e.g. to drive a real OIDC sign-in the way a browser would.
 *
 * - Built on global fetch with `redirect: 'manual'`: nothing is followed unless you call `follow`.
 * - Cookies are kept in a tough-cookie jar with browser rules (RFC 6265): cookies are scoped by host
 *   and path, NOT by port, exactly like a browser. So `localhost:3000` and `localhost:4000` share
 *   cookies; give the IdP a different host (e.g. publicHost '127.0.0.1') if a test needs them apart.
 *   SameSite is not enforced.
 */
import { parse, type HTMLElement } from 'node-html-parser';
import { CookieJar } from 'tough-cookie';

export interface Res {
  /** The URL that was requested. */
  url: string;
  status: number;
  headers: Headers;
  text: string;
  /** The Location header resolved against `url` (absolute), when present. */
  location?: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

export class HttpClient {
  readonly jar = new CookieJar();
  private readonly userAgent: string;

  constructor(opts: { userAgent?: string } = {}) {
    this.userAgent = opts.userAgent ?? 'resetbridge-test-client/1.0';
  }

  /** GET without following redirects. */
  get(url: string, headers: Record<string, string> = {}): Promise<Res> {
    return this.request('GET', url, undefined, headers);
  }

  /** POST an application/x-www-form-urlencoded body, without following redirects. */
  post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Res> {
    return this.request('POST', url, new URLSearchParams(form).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    });
  }

  /** Follows a chain of redirects with GET (like a browser after a 303) and returns the first non-redirect. */
  async follow(res: Res, max = 20): Promise<Res> {
    let current = res;
    for (let hops = 0; isRedirect(current); hops++) {
      if (hops >= max) throw new Error(`too many redirects (> ${max}), last: ${current.url} -> ${current.location}`);
      current = await this.get(current.location);
    }
    return current;
  }

  /** The Cookie header this client would send to `url`. */
  cookies(url: string): Promise<string> {
    return this.jar.getCookieString(url);
  }

  private async request(method: string, url: string, body: string | undefined, headers: Record<string, string>): Promise<Res> {
    const cookie = await this.jar.getCookieString(url);
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: {
        'user-agent': this.userAgent,
        accept: BROWSER_ACCEPT,
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
    });
    for (const setCookie of response.headers.getSetCookie()) {
      await this.jar.setCookie(setCookie, url);
    }
    const text = await response.text();
    const rawLocation = response.headers.get('location');
    return {
      url,
      status: response.status,
      headers: response.headers,
      text,
      ...(rawLocation === null ? {} : { location: new URL(rawLocation, url).href }),
    };
  }
}

export function isRedirect(res: Res): res is Res & { location: string } {
  return REDIRECT_STATUSES.has(res.status) && res.location !== undefined;
}

function pickForm(html: string, formSelector?: string): HTMLElement {
  const root = parse(html);
  const form = root.querySelector(formSelector ?? 'form');
  if (!form || form.tagName !== 'FORM') {
    throw new Error(`no form matching ${JSON.stringify(formSelector ?? 'form')} in page:\n${html.slice(0, 2000)}`);
  }
  return form;
}

/**
 * The hidden inputs (name -> value) of the first form in `html`, or of the form matched by the CSS
 * selector `formSelector`, e.g. `form[action$="/login"]` or `form[action*="/interaction/"]`.
 */
export function formFields(html: string, formSelector?: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const input of pickForm(html, formSelector).querySelectorAll('input')) {
    const name = input.getAttribute('name');
    if (name && (input.getAttribute('type') ?? '').toLowerCase() === 'hidden') {
      fields[name] = input.getAttribute('value') ?? '';
    }
  }
  return fields;
}

/** Action URL (resolved against `pageUrl`) and method of the first form, or of the one matching `formSelector`. */
export function formTarget(html: string, pageUrl: string, formSelector?: string): { action: string; method: string } {
  const form = pickForm(html, formSelector);
  return {
    action: new URL(form.getAttribute('action') ?? '', pageUrl).href,
    method: (form.getAttribute('method') ?? 'get').toUpperCase(),
  };
}

/**
 * Fills and submits the demo IdP's login form (src/demo/idp.ts) shown by `loginPageRes`, then follows
 * redirects while they stay on the IdP's origin.
 *
 * When the IdP redirects away (to the relying party's redirect_uri), that URL is fetched once and
 * its response is returned, not followed further, so the caller can inspect the callback's answer.
 * With `{ fetchCallback: false }` the IdP's last redirect is returned instead (its `location` is the
 * callback URL), for tests with no relying-party server.
 *
 * A self-submitting POST form served by the IdP on the way (oidc-provider ends a previous IdP session
 * that way when a different person signs in) is submitted as a browser would.
 *
 * If the IdP does not redirect away (wrong password, account refused), the IdP's re-rendered login
 * page is returned.
 */
export async function signInAtDemoIdp(
  client: HttpClient,
  loginPageRes: Res,
  email: string,
  password: string,
  opts: { fetchCallback?: boolean } = {},
): Promise<Res> {
  if (loginPageRes.status !== 200 || !/<input[^>]+name="password"/.test(loginPageRes.text)) {
    throw new Error(
      `not a demo IdP login page: ${loginPageRes.status} ${loginPageRes.url}\n${loginPageRes.text.slice(0, 1000)}`,
    );
  }
  const selector = 'form[method="post"]';
  const { action } = formTarget(loginPageRes.text, loginPageRes.url, selector);
  const idpOrigin = new URL(loginPageRes.url).origin;

  let res = await client.post(action, { ...formFields(loginPageRes.text, selector), email, password });
  for (let hops = 0; ; hops++) {
    if (hops >= 20) throw new Error(`too many steps at the IdP, last: ${res.status} ${res.url} -> ${res.location}`);
    if (isRedirect(res)) {
      if (new URL(res.location).origin !== idpOrigin) {
        return opts.fetchCallback === false ? res : client.get(res.location);
      }
      res = await client.get(res.location);
    } else if (res.status === 200 && isAutoSubmitForm(res.text)) {
      // oidc-provider's self-submitting form, e.g. ending the previous IdP session when another
      // person signs in in the same browser: submit it as a browser's script would.
      const target = formTarget(res.text, res.url);
      res = await client.post(target.action, formFields(res.text));
    } else {
      return res;
    }
  }
}

/** A page whose first form is a POST of hidden inputs only (what an auto-submitting page looks like). */
function isAutoSubmitForm(html: string): boolean {
  const form = parse(html).querySelector('form');
  if (!form || (form.getAttribute('method') ?? '').toLowerCase() !== 'post') return false;
  const inputs = form.querySelectorAll('input');
  return inputs.length > 0 && inputs.every((i) => (i.getAttribute('type') ?? '').toLowerCase() === 'hidden');
}
