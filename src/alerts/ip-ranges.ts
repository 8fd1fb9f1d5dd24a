/**
 * Address classification for the "block private targets" option: which IP addresses are public unicast, and the
 * allow-list (CIDR ranges, single addresses, host names) that lets chosen private targets through.
 *
 * Our own code over Node's strict `net.isIPv4`/`isIPv6` rather than a dependency: the check works on bytes, so
 * every textual form of an address (`127.1`, `2130706433`, `0x7f.1` are normalized by WHATWG URL before they get
 * here; `::ffff:127.0.0.1` and `::ffff:7f00:1` are the same 16 bytes) lands in the same range.
 */
import { isIPv4, isIPv6 } from "node:net";

/** 4 bytes for IPv4, 16 for IPv6. */
export type IpBytes = Uint8Array;

/** Why an address is not public unicast; `public` when it is. */
export type AddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "cgnat"
  | "link-local"
  | "unique-local"
  | "site-local"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "reserved";

/** An address as text (brackets and an IPv6 zone id allowed) to bytes, or null when it is not an IP address. */
export function parseIp(text: string): IpBytes | null {
  let address = text.trim();
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  if (isIPv4(address)) return parseIPv4(address);
  if (isIPv6(address)) return parseIPv6(address);
  return null;
}

function parseIPv4(text: string): IpBytes {
  return Uint8Array.from(text.split(".").map(Number));
}

/** Only called on text that `net.isIPv6` accepted, so the shape is known to be valid. */
function parseIPv6(text: string): IpBytes {
  const bytes = new Uint8Array(16);
  let tailV4: IpBytes | null = null;
  let body = text.toLowerCase();
  const lastColon = body.lastIndexOf(":");
  if (body.includes(".", lastColon)) {
    tailV4 = parseIPv4(body.slice(lastColon + 1));
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const [head = "", tail] = body.split("::");
  const groups = (part: string): number[] => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  const headGroups = groups(head);
  const tailGroups = tail === undefined ? [] : groups(tail);
  const all = [...headGroups, ...new Array<number>(8 - headGroups.length - tailGroups.length).fill(0), ...tailGroups];
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  if (tailV4) bytes.set(tailV4, 12);
  return bytes;
}

/** The address as text: dotted quad, or RFC 5952 compressed IPv6. */
export function formatIp(bytes: IpBytes): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (list: number[]): string => list.map((group) => group.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

interface Range {
  prefix: IpBytes;
  length: number;
}

function range(cidr: string): Range {
  const [address = "", length = ""] = cidr.split("/");
  const prefix = parseIp(address);
  if (!prefix) throw new Error(`bad range ${cidr}`);
  return { prefix, length: Number(length) };
}

function inRange(bytes: IpBytes, { prefix, length }: Range): boolean {
  if (bytes.length !== prefix.length) return false;
  const whole = Math.floor(length / 8);
  for (let i = 0; i < whole; i++) if (bytes[i] !== prefix[i]) return false;
  const rest = length % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole] ?? 0) & mask) === ((prefix[whole] ?? 0) & mask);
}

/** IPv4 special-purpose ranges (IANA registry), most specific first where they nest. */
const V4_RANGES: Array<[string, AddressClass]> = [
  ["0.0.0.0/32", "unspecified"],
  ["0.0.0.0/8", "reserved"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "cgnat"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"],
];

/** IPv6 ranges outside global unicast 2000::/3 are refused anyway; these name them, or carve out of 2000::/3. */
const V6_RANGES: Array<[string, AddressClass]> = [
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["fc00::/7", "unique-local"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local"],
  ["ff00::/8", "multicast"],
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["2001::/23", "reserved"],
];

const V4 = V4_RANGES.map(([cidr, kind]) => [range(cidr), kind] as const);
const V6 = V6_RANGES.map(([cidr, kind]) => [range(cidr), kind] as const);
const GLOBAL_UNICAST_V6 = range("2000::/3");
const MAPPED_V4 = range("::ffff:0:0/96");
const NAT64 = range("64:ff9b::/96");
const SIX_TO_FOUR = range("2002::/16");

/** The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), or null. */
export function embeddedIPv4(bytes: IpBytes): IpBytes | null {
  if (bytes.length !== 16) return null;
  if (inRange(bytes, MAPPED_V4) || inRange(bytes, NAT64)) return bytes.slice(12, 16);
  if (inRange(bytes, SIX_TO_FOUR)) return bytes.slice(2, 6);
  return null;
}

/** Public unicast or the kind of special range the address falls in. */
export function classifyIp(bytes: IpBytes): AddressClass {
  if (bytes.length === 4) {
    for (const [cidr, kind] of V4) if (inRange(bytes, cidr)) return kind;
    return "public";
  }
  const v4 = embeddedIPv4(bytes);
  if (v4) return classifyIp(v4);
  for (const [cidr, kind] of V6) if (inRange(bytes, cidr)) return kind;
  return inRange(bytes, GLOBAL_UNICAST_V6) ? "public" : "reserved";
}

// ---------------------------------------------------------------------------------------------------------------
// The allow-list

/** One allow-list entry: an address range, or a host name (`*.example.lan` for every name under it). */
export type AllowEntry = { kind: "range"; range: Range } | { kind: "host"; name: string; subdomains: boolean };

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Normalizes a host name for comparison: lower case, no trailing dot. */
export function normalizeHostName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

function validHostName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split(".").every((label) => HOST_LABEL.test(label));
}

/** Parses an allow-list entry, or returns null when it is neither an address, a CIDR range nor a host name. */
export function parseAllowEntry(text: string): AllowEntry | null {
  const entry = text.trim();
  const slash = entry.indexOf("/");
  if (slash >= 0) {
    const prefix = parseIp(entry.slice(0, slash));
    const lengthText = entry.slice(slash + 1);
    if (!prefix || !/^\d{1,3}$/.test(lengthText)) return null;
    const length = Number(lengthText);
    if (length > prefix.length * 8) return null;
    return { kind: "range", range: { prefix, length } };
  }
  const address = parseIp(entry);
  if (address) return { kind: "range", range: { prefix: address, length: address.length * 8 } };
  const name = normalizeHostName(entry);
  if (name.startsWith("*.")) {
    const rest = name.slice(2);
    return validHostName(rest) ? { kind: "host", name: rest, subdomains: true } : null;
  }
  return validHostName(name) ? { kind: "host", name, subdomains: false } : null;
}

/** What `blockPrivateTargets` checks against: the parsed allow-list. */
export class TargetPolicy {
  private readonly ranges: Range[] = [];
  private readonly hosts: Array<{ name: string; subdomains: boolean }> = [];

  /** @throws Error naming the first entry that is not an address, a CIDR range or a host name. */
  constructor(allow: readonly string[] = []) {
    for (const text of allow) {
      const entry = parseAllowEntry(text);
      if (!entry) throw new Error(`allow-list entry is not an address, a CIDR range or a host name: ${text}`);
      if (entry.kind === "range") this.ranges.push(entry.range);
      else this.hosts.push({ name: entry.name, subdomains: entry.subdomains });
    }
  }

  /** The host name is on the allow-list (then whatever it resolves to is accepted); `*.lan` covers the names
   * under `lan`, not `lan` itself. */
  hostAllowed(hostname: string): boolean {
    const name = normalizeHostName(hostname);
    return this.hosts.some((host) => (host.subdomains ? name.endsWith(`.${host.name}`) : name === host.name));
  }

  /** Null when the address may be connected to; else the kind of range that refuses it. */
  refusal(address: IpBytes): AddressClass | null {
    const kind = classifyIp(address);
    if (kind === "public") return null;
    const candidates = [address, embeddedIPv4(address)].filter((bytes): bytes is IpBytes => bytes !== null);
    if (candidates.some((bytes) => this.ranges.some((allowed) => inRange(bytes, allowed)))) return null;
    return kind;
  }
}
