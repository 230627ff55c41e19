/**
 * Server-side request forgery guard for HTTP steps. Workflow authors choose URLs (often
 * from templates fed by LLM output), so a request must not reach loopback, private,
 * link-local or other internal addresses unless the host allow-lists them. The check runs
 * inside the connection itself — on every address DNS returns, at connect time — so a
 * hostname that resolves to a public address during a pre-check and a private one later
 * (DNS rebinding) cannot slip through, and redirects are checked like the first request.
 */
import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';
import { BatonError } from '../errors.ts';

const RANGE_LABELS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private',
  reserved: 'reserved',
  uniqueLocal: 'unique-local (fc00::/7)',
  ipv4Compatible: 'IPv4-compatible IPv6 (::/96)',
};

/** Who may be reached despite being internal: exact hostnames, `*.suffix` wildcards, IPs and CIDR ranges. */
export class AddressPolicy {
  readonly #hosts = new Set<string>();
  readonly #suffixes: string[] = [];
  readonly #ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];

  constructor(allowHosts: readonly string[]) {
    for (const raw of allowHosts) {
      const entry = normaliseHost(raw);
      if (!entry) continue;
      if (ipaddr.isValidCIDR(entry)) this.#ranges.push(ipaddr.parseCIDR(entry));
      else if (net.isIP(entry)) {
        const address = ipaddr.parse(entry);
        this.#ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      } else if (entry.startsWith('*.')) this.#suffixes.push(entry.slice(1));
      else this.#hosts.add(entry);
    }
  }

  /** Returns the refusal for connecting to `address` (resolved from `hostname`), or undefined when allowed. */
  check(hostname: string, address: string): BatonError | undefined {
    const range = internalRange(address);
    if (range === undefined) return undefined;
    if (this.allowsHost(hostname) || this.allowsAddress(address)) return undefined;
    const host = normaliseHost(hostname);
    const via = host === normaliseHost(address) ? '' : ` (resolved from "${host}")`;
    return new BatonError(
      'HTTP_ADDRESS_BLOCKED',
      `HTTP request refused: ${address}${via} is a ${RANGE_LABELS[range] ?? range} address, and HTTP steps may not ` +
        `reach internal networks unless allow-listed. To allow it, add "${host}" or "${address}" (or a CIDR range ` +
        'containing it) to the engine option allowHosts (CLI: --allow-host, or BATON_HTTP_ALLOW).',
      { retryable: false, details: { host, address, range } },
    );
  }

  allowsHost(hostname: string): boolean {
    const host = normaliseHost(hostname);
    return this.#hosts.has(host) || this.#suffixes.some((suffix) => host.endsWith(suffix));
  }

  allowsAddress(address: string): boolean {
    const parsed = toComparable(ipaddr.parse(address));
    return this.#ranges.some(([base, bits]) => {
      const comparable = toComparable(base);
      return comparable.kind() === parsed.kind() && parsed.match(comparable, bits);
    });
  }
}

/** The special-purpose range an address belongs to, or undefined for an ordinary public unicast address. */
export function internalRange(address: string): string | undefined {
  const parsed = ipaddr.parse(stripBrackets(address));
  if (parsed.kind() === 'ipv4') {
    const range = parsed.range();
    return range === 'unicast' ? undefined : range;
  }
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'ipv4Mapped') return internalRange(v6.toIPv4Address().toString());
  const bytes = v6.toByteArray();
  // Embedded IPv4 forms reach whatever IPv4 address they carry: judge that address.
  if (range === '6to4') return internalRange(bytes.slice(2, 6).join('.'));
  if (range === 'rfc6052' && v6.match(ipaddr.IPv6.parse('64:ff9b::'), 96)) {
    return internalRange(bytes.slice(12, 16).join('.'));
  }
  if (range === 'unicast' && v6.parts[0] === 0) return 'ipv4Compatible';
  return range === 'unicast' ? undefined : range;
}

/** An undici dispatcher whose every connection is checked against the policy. Cached per allow-list. */
export function guardedAgent(allowHosts: readonly string[]): Agent {
  const key = allowHosts.map(normaliseHost).sort().join('\n');
  let agent = agents.get(key);
  if (!agent) {
    agent = createGuardedAgent(new AddressPolicy(allowHosts));
    agents.set(key, agent);
    if (agents.size > MAX_CACHED_AGENTS) {
      const [oldestKey, oldest] = agents.entries().next().value as [string, Agent];
      agents.delete(oldestKey);
      void oldest.close().catch(() => {});
    }
  }
  return agent;
}

const MAX_CACHED_AGENTS = 16;
const agents = new Map<string, Agent>();

export function createGuardedAgent(policy: AddressPolicy): Agent {
  const connectResolved = buildConnector({ lookup: guardedLookup(policy) });
  return new Agent({
    connect(options, callback) {
      // net.connect skips `lookup` for IP literals, so those are checked here.
      if (net.isIP(options.hostname)) {
        const refusal = policy.check(options.hostname, options.hostname);
        if (refusal) {
          callback(refusal, null);
          return;
        }
      }
      connectResolved(options, callback);
    },
  });
}

function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '');
        return;
      }
      for (const { address } of addresses) {
        const refusal = policy.check(hostname, address);
        if (refusal) {
          callback(refusal as unknown as NodeJS.ErrnoException, '');
          return;
        }
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

function toComparable(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return address;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function normaliseHost(host: string): string {
  return stripBrackets(host.trim().toLowerCase()).replace(/\.$/, '');
}
