/**
 * Client certificates (mTLS) as a second way in. The HTTPS listener asks for a certificate but
 * does not refuse the handshake without one (`rejectUnauthorized: false`), so an unverified
 * certificate can be answered with a problem document instead of a dropped connection. Here we
 * read what the TLS layer verified and which GovStack client id the certificate names: its
 * subject CN or a URI subject alternative name.
 */
import type { PeerCertificate } from 'node:tls';
import { TLSSocket } from 'node:tls';
import { parseClientId } from '@roomcast/core';
import type { Context } from 'hono';

export interface PresentedCertificate {
  /** Whether the certificate chains to the configured client CA (and is within its validity). */
  verified: boolean;
  /** OpenSSL's reason when it is not, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE. */
  error: string | undefined;
  /** The client id the certificate names, when exactly one can be read from it. */
  clientId: string | undefined;
  /** Short, non-secret id of the certificate for logs and audit: `cert:` + 16 hex of its SHA-256. */
  id: string;
}

type CertificateNames = Pick<PeerCertificate, 'subject' | 'subjectaltname'>;

/**
 * The GovStack client id a certificate names: the subject CN and every `URI:` alternative name
 * that parse as INSTANCE/CLASS/MEMBER/APPLICATION. A certificate naming two different client ids
 * is ambiguous and names none.
 */
export function certificateClientId(cert: CertificateNames): string | undefined {
  const candidates = new Set<string>();
  const cn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.CN;
  for (const value of Array.isArray(cn) ? cn : cn !== undefined ? [cn] : []) candidates.add(value);
  // Node renders alternative names as `DNS:a, URI:b`; values with separators are quoted, and a
  // quoted value never parses as a client id, whose segments allow no commas or quotes.
  for (const entry of (cert.subjectaltname ?? '').split(', ')) {
    if (entry.startsWith('URI:')) candidates.add(entry.slice(4));
  }
  const ids = [...candidates].filter((c) => parseClientId(c) !== undefined);
  return ids.length === 1 ? ids[0] : undefined;
}

export function certificateId(fingerprint256: string): string {
  return `cert:${fingerprint256.replaceAll(':', '').slice(0, 16).toLowerCase()}`;
}

/** The certificate the client presented on this request's TLS connection, if any. */
export function presentedCertificate(c: Context): PresentedCertificate | undefined {
  // @hono/node-server hands the Node request to handlers as `c.env.incoming`.
  const socket = (c.env as { incoming?: { socket?: unknown } } | undefined)?.incoming?.socket;
  if (!(socket instanceof TLSSocket)) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert?.raw) return undefined;
  const error = socket.authorizationError;
  return {
    verified: socket.authorized,
    error: error === undefined || error === null ? undefined : String(error),
    clientId: certificateClientId(cert),
    id: certificateId(cert.fingerprint256),
  };
}
