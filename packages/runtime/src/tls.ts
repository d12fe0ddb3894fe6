/**
 * The optional HTTPS listener's material, read from the files the TLS settings name. Checked at
 * start with the other settings: a certificate without its key, a client CA without a server
 * certificate, or a file that cannot be read is a configuration error, reported all at once.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@roomcast/core';
import type { TlsOptions } from '@roomcast/http';

export interface TlsSettings {
  ROOMCAST_TLS_CERT_FILE: string | undefined;
  ROOMCAST_TLS_KEY_FILE: string | undefined;
  ROOMCAST_TLS_PORT: number;
  ROOMCAST_TLS_CLIENT_CA_FILE: string | undefined;
}

export interface TlsListener {
  port: number;
  options: TlsOptions;
}

/** Undefined when no HTTPS listener is configured. Throws ConfigError listing every problem. */
export function tlsListener(config: TlsSettings, read: (path: string) => Buffer = readFileSync): TlsListener | undefined {
  const { ROOMCAST_TLS_CERT_FILE: certFile, ROOMCAST_TLS_KEY_FILE: keyFile, ROOMCAST_TLS_CLIENT_CA_FILE: caFile } = config;
  if (!certFile && !keyFile) {
    if (!caFile) return undefined;
    throw new ConfigError(['ROOMCAST_TLS_CLIENT_CA_FILE is set but ROOMCAST_TLS_CERT_FILE and ROOMCAST_TLS_KEY_FILE are not: client certificates need the HTTPS listener.']);
  }
  const problems: string[] = [];
  if (!certFile) problems.push('ROOMCAST_TLS_KEY_FILE is set without ROOMCAST_TLS_CERT_FILE: set both to enable the HTTPS listener.');
  if (!keyFile) problems.push('ROOMCAST_TLS_CERT_FILE is set without ROOMCAST_TLS_KEY_FILE: set both to enable the HTTPS listener.');
  const load = (name: string, path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return read(path);
    } catch (err) {
      problems.push(`${name}=${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): point it at a PEM file this process may read.`);
      return undefined;
    }
  };
  const cert = load('ROOMCAST_TLS_CERT_FILE', certFile);
  const key = load('ROOMCAST_TLS_KEY_FILE', keyFile);
  const clientCa = load('ROOMCAST_TLS_CLIENT_CA_FILE', caFile);
  if (problems.length > 0 || !cert || !key) throw new ConfigError(problems);
  return { port: config.ROOMCAST_TLS_PORT, options: { cert, key, ...(clientCa ? { clientCa } : {}) } };
}
