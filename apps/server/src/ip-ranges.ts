import { BlockList, isIP } from 'node:net';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `(?:${OCTET}\\.){3}${OCTET}`;
const HEXTET = '[0-9A-Fa-f]{1,4}';

/** `n` hextets joined by ":" (none: the empty string). */
const hextets = (n: number) => (n === 0 ? '' : `(?:${HEXTET}:){${n - 1}}${HEXTET}`);

/**
 * IPv6 in every written form: eight groups, or `a` groups, "::", and up to 7 − a more; the last
 * 32 bits may be dotted IPv4 (then six groups, or up to 5 around the "::").
 */
const IPV6 = [
  `(?:${HEXTET}:){7}${HEXTET}`,
  `(?:${HEXTET}:){6}${IPV4}`,
  ...Array.from({ length: 8 }, (_, a) => `${hextets(a)}::${a < 7 ? `(?:${hextets(1)}(?::${HEXTET}){0,${6 - a}})?` : ''}`),
  ...Array.from({ length: 6 }, (_, a) => `${hextets(a)}::(?:${HEXTET}:){0,${5 - a}}${IPV4}`),
].join('|');

/** An IPv4 or IPv6 address, optionally a CIDR range (`/0`–`/32`, `/0`–`/128`): the shape of a `server.trusted_proxies` entry. */
export const IP_OR_CIDR_PATTERN = `^(?:${IPV4}(?:/(?:3[0-2]|[12]?\\d))?|(?:${IPV6})(?:/(?:12[0-8]|1[01]\\d|[1-9]?\\d))?)$`;

/** A set of addresses and CIDR ranges, IPv4 and IPv6; an IPv4 range also holds its IPv4-mapped IPv6 form (`::ffff:10.0.0.1`). */
export class AddressRanges {
  readonly #list = new BlockList();

  /** Each entry an address or a CIDR range; a malformed one throws, naming it. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address);
      if (!family || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) throw new Error(`"${entry}" is not an IP address or CIDR range`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(prefix), type);
    }
  }

  has(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.#list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

const LOOPBACK = new AddressRanges(['127.0.0.0/8', '::1']);

/** A loopback peer (127.0.0.0/8, ::1, or 127.x written as IPv4-mapped IPv6): a process on this machine. */
export function isLoopbackAddress(address: string): boolean {
  return LOOPBACK.has(address);
}
