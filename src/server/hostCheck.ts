import os from 'node:os';
import type { RequestHandler } from 'express';
import { HttpError } from './httpErrors.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARD = new Set(['0.0.0.0', '::', '']);

/**
 * Host names a request may carry for a server listening on `listenHost`: loopback names, the listen
 * address, and the configured extra names; for a wildcard address also this machine's host name and
 * interface addresses. Lower case, IPv6 without brackets.
 */
export function allowedHosts(listenHost: string, extra: string[]): Set<string> {
  const names = new Set([...LOOPBACK_NAMES, listenHost, ...extra].map((h) => h.toLowerCase()));
  if (WILDCARD.has(listenHost)) {
    names.add(os.hostname().toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase());
  }
  return names;
}

/** The host part of a Host header: "[::1]:8080" -> "::1", "Example:80" -> "example". */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/**
 * Refuses requests whose Host header is not one of `allowed` (421), so a web page that rebinds its own
 * DNS name to 127.0.0.1 cannot reach the token-less loopback API from the user's browser.
 */
export function requireKnownHost(allowed: Set<string>): RequestHandler {
  return (req, _res, next) => {
    const host = req.headers.host;
    if (host && allowed.has(hostName(host))) return next();
    next(new HttpError(421, 'misdirected', `Host ${JSON.stringify(host ?? '')} is not a name of this server; add it to SEGFUSION_ALLOWED_HOSTS if it is`));
  };
}
