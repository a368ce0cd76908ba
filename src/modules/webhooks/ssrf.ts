import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not reach in production (SSRF): loopback, private, link-local, and the
 * special ranges that lead to the same places (unspecified, carrier-grade NAT, IPv6 unique-local,
 * IPv4-mapped IPv6 forms of all of these).
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as its IPv4 form; anything else unchanged. */
function unmap(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

export function isPrivateAddress(address: string): boolean {
  const a = unmap(address);
  const family = isIP(a);
  if (family === 4) return blocked.check(a, 'ipv4');
  if (family === 6) return blocked.check(a, 'ipv6');
  return true; // not an address at all: refuse rather than guess
}

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

/** The host of a URL as `lookup` wants it (IPv6 literals lose their brackets). */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Resolves the URL's host once and, when `guard` is on, refuses it if any address it resolves to is
 * private (a name with one public and one private address could be steered to the private one). The
 * caller connects to the returned address, so a second lookup cannot answer differently (DNS rebinding).
 */
export async function resolveTarget(url: URL, guard: boolean): Promise<ResolvedTarget> {
  const host = hostOf(url);
  const literal = isIP(host);
  const addresses: ResolvedTarget[] =
    literal !== 0
      ? [{ address: host, family: literal as 4 | 6 }]
      : (await lookup(host, { all: true, verbatim: true })).map((a) => ({
          address: a.address,
          family: a.family as 4 | 6,
        }));
  if (addresses.length === 0) throw new Error(`${host} did not resolve`);
  if (guard) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) throw new PrivateTargetError(`${host} resolves to ${bad.address}, a private address`);
  }
  return addresses[0]!;
}

export class PrivateTargetError extends Error {}

const MAX_URL = 2048;

/** What is wrong with an endpoint URL (http or https, no credentials, not private when guarded), or null. */
export async function endpointUrlProblem(raw: string, guard: boolean): Promise<string | null> {
  if (raw.length > MAX_URL) return `must be at most ${MAX_URL} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (!guard) return null;
  try {
    await resolveTarget(url, true);
    return null;
  } catch (e) {
    return e instanceof PrivateTargetError
      ? 'resolves to a loopback, private or link-local address'
      : 'host does not resolve';
  }
}
