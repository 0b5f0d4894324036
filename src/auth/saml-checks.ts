import { DOMParser } from '@xmldom/xmldom';
import type { Profile } from '@node-saml/passport-saml';

/** A SAML response refused for a reason that goes to the audit log (a code, never the assertion). */
export class SamlRejected extends Error {
  constructor(readonly reason: string) {
    super(`SAML response refused: ${reason}`);
    this.name = 'SamlRejected';
  }
}

type Node = Record<string, unknown> & { $?: Record<string, string>; _?: string };

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

function children(node: Node | undefined, name: string): Node[] {
  const list = node?.[name];
  return Array.isArray(list) ? (list as Node[]) : [];
}

function time(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? Number.NaN : t;
}

export interface AssertionExpectations {
  idpEntityId: string;
  acsUrl: string;
  skewMs: number;
  now: Date;
}

export interface CheckedAssertion {
  id: string;
  /** When the assertion stops being usable: how long its id must stay in the replay cache. */
  usableUntil: Date;
}

/**
 * What node-saml leaves to the relying party once the signatures, audience, conditions and
 * InResponseTo have passed: the assertion's issuer, the response's Destination, and a bearer
 * SubjectConfirmation addressed to our ACS and still inside its validity window (node-saml skips
 * that window for unsolicited responses).
 *
 * `profile.getAssertion()` is the signed assertion node-saml verified; the Response element's
 * Destination is read from the raw XML, whose root node-saml verified when the Response is signed.
 */
export function checkAssertion(profile: Profile, expect: AssertionExpectations): CheckedAssertion {
  const assertion = (profile.getAssertion?.() as { Assertion?: Node } | undefined)?.Assertion;
  if (!assertion) throw new SamlRejected('no-assertion');
  const id = assertion.$?.ID;
  if (!id) throw new SamlRejected('assertion-without-id');

  const issuer = children(assertion, 'Issuer')[0]?._?.trim();
  if (issuer !== expect.idpEntityId) throw new SamlRejected('wrong-issuer');

  const destination = responseDestination(profile.getSamlResponseXml?.());
  if (destination !== undefined && destination !== expect.acsUrl) throw new SamlRejected('wrong-destination');

  const now = expect.now.getTime();
  const confirmations = children(children(assertion, 'Subject')[0], 'SubjectConfirmation')
    .filter((c) => c.$?.Method === BEARER)
    .flatMap((c) => children(c, 'SubjectConfirmationData'));
  if (confirmations.length === 0) throw new SamlRejected('no-bearer-confirmation');
  const addressed = confirmations.filter((d) => d.$?.Recipient === expect.acsUrl);
  if (addressed.length === 0) throw new SamlRejected('wrong-recipient');
  const valid = addressed.find((d) => {
    const until = time(d.$?.NotOnOrAfter);
    const from = time(d.$?.NotBefore);
    if (until === undefined || Number.isNaN(until) || Number.isNaN(from)) return false;
    return now - expect.skewMs < until && (from === undefined || now + expect.skewMs >= from);
  });
  if (!valid) throw new SamlRejected('subject-confirmation-expired');

  const conditionsUntil = time(children(assertion, 'Conditions')[0]?.$?.NotOnOrAfter);
  const untils = [time(valid.$?.NotOnOrAfter), conditionsUntil].filter((t): t is number => t !== undefined && !Number.isNaN(t));
  return { id, usableUntil: new Date(Math.max(...untils) + expect.skewMs) };
}

function responseDestination(xml: string | undefined): string | undefined {
  if (!xml) return undefined;
  const root = new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml').documentElement;
  return root?.getAttribute('Destination') ?? undefined;
}

/** The node-saml error messages that matter, as audit reason codes. */
export function samlFailureReason(err: unknown, signatures: { response: boolean; assertion: boolean }): string {
  if (err instanceof SamlRejected) return err.reason;
  const message = err instanceof Error ? err.message : String(err);
  const known: Array<[RegExp, string]> = [
    [/multiple assertions/i, 'multiple-assertions'],
    [/Invalid document signature/i, signatures.response ? 'invalid-response-signature' : 'response-not-signed'],
    [/^Invalid signature$/i, signatures.assertion ? 'invalid-assertion-signature' : 'assertion-not-signed'],
    [/signature/i, 'invalid-signature'],
    [/InResponseTo is missing/i, 'unsolicited-response-refused'],
    [/InResponseTo is not valid|SubjectInResponseTo is not valid|InResponseTo does not match/i, 'unknown-in-response-to'],
    [/No valid subject confirmation/i, 'subject-confirmation-expired'],
    [/assertion expired/i, 'expired'],
    [/not yet valid/i, 'not-yet-valid'],
    [/audience|AudienceRestriction/i, 'wrong-audience'],
    [/SAML provider returned/i, 'idp-error-status'],
    [/Missing SAML assertion/i, 'no-assertion'],
    [/not valid XML|Non-whitespace before first tag|invalid|unclosed|mismatched/i, 'malformed-response'],
  ];
  return known.find(([pattern]) => pattern.test(message))?.[1] ?? 'rejected';
}

/** Which parts of a posted response carry a signature at all, to tell "unsigned" from "badly signed". */
export function signaturePresence(samlResponse: unknown): { response: boolean; assertion: boolean } {
  try {
    const xml = Buffer.from(String(samlResponse ?? ''), 'base64').toString('utf8');
    const root = new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml').documentElement;
    const isSig = (n: { localName?: string | null; namespaceURI?: string | null }) => n.localName === 'Signature' && n.namespaceURI === 'http://www.w3.org/2000/09/xmldsig#';
    const kids = (n: unknown) => [...((n as { childNodes?: Iterable<unknown> })?.childNodes ?? [])] as Array<{ localName?: string | null; namespaceURI?: string | null }>;
    const assertion = kids(root).find((n) => n.localName === 'Assertion');
    return { response: kids(root).some(isSig), assertion: kids(assertion).some(isSig) };
  } catch {
    return { response: false, assertion: false };
  }
}
