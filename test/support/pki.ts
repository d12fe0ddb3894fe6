/**
 * A throwaway PKI for mTLS tests, made with the `openssl` CLI in a temp dir: a client CA, a
 * server certificate for 127.0.0.1 signed by it, client certificates naming client ids (in the
 * subject CN or a URI SAN), and a look-alike client certificate from a different CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  caPem: string;
  /** A client certificate signed by the test CA. */
  client(name: string, o: { cn: string; uriSan?: string }): Pem;
  /** A client certificate with the same subject, signed by a CA the server does not trust. */
  rogue(name: string, cn: string): Pem;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function makeCa(dir: string, name: string): void {
  const extensions = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`, ...extensions]);
}

/** Signs a leaf with the named CA; the subject comes from a config file so it may contain slashes. */
function makeLeaf(dir: string, ca: string, name: string, cn: string, extensions: string): Pem {
  writeFileSync(join(dir, `${name}.cnf`), `[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = ${cn}\n`);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-config', `${name}.cnf`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

export function makeTestPki(): TestPki {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('The mTLS tests need the openssl CLI on the PATH');
  }
  const dir = mkdtempSync(join(tmpdir(), 'roomcast-pki-'));
  makeCa(dir, 'client-ca');
  makeCa(dir, 'rogue-ca');
  makeLeaf(dir, 'client-ca', 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  return {
    dir,
    caFile: join(dir, 'client-ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    caPem: readFileSync(join(dir, 'client-ca.crt'), 'utf8'),
    client: (name, o) => makeLeaf(dir, 'client-ca', name, o.cn, `extendedKeyUsage=clientAuth\n${o.uriSan ? `subjectAltName=URI:${o.uriSan}\n` : ''}`),
    rogue: (name, cn) => makeLeaf(dir, 'rogue-ca', name, cn, 'extendedKeyUsage=clientAuth\n'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
