/**
 * Who is asking: the address that the failed-attempt limiter and the development loopback exception rely on.
 * X-Forwarded-For is client-controlled, so it counts only when the operator says a reverse proxy is in front
 * (`trust_proxy`), and then only its LAST entry: the one that proxy appended itself. Entries to its left were
 * sent by the client and can be anything.
 */
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** When the socket is already gone, every such request shares one bucket rather than escaping the limiter. */
export const UNKNOWN_ADDRESS = "unknown";

export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = lastForwardedFor(req.headers["x-forwarded-for"]);
    if (forwarded !== null) return forwarded;
  }
  const remote = req.socket.remoteAddress;
  return remote ? unmapIpv4(remote) : UNKNOWN_ADDRESS;
}

/**
 * The rightmost X-Forwarded-For address, or null when absent or not an IP (then the socket address is used).
 * Node joins repeated X-Forwarded-For headers with ", ", so "last" spans them all.
 */
export function lastForwardedFor(header: string | string[] | undefined): string | null {
  const joined = Array.isArray(header) ? header.join(",") : header;
  if (!joined) return null;
  const last = joined.split(",").pop()?.trim() ?? "";
  const address = stripPort(last);
  return isIP(address) ? unmapIpv4(address) : null;
}

/** "1.2.3.4:5678" -> "1.2.3.4", "[::1]:80" -> "::1", "[::1]" -> "::1"; a bare IPv6 address is left alone. */
function stripPort(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(value);
  if (v4WithPort?.[1] !== undefined) return v4WithPort[1];
  return value;
}

/** A dual-stack socket reports IPv4 clients as "::ffff:1.2.3.4"; one client should have one spelling. */
export function unmapIpv4(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

export function isLoopback(address: string): boolean {
  const plain = unmapIpv4(address);
  if (isIP(plain) === 4) return plain.startsWith("127.");
  return isIP(plain) === 6 && expandIpv6(plain) === "0000:0000:0000:0000:0000:0000:0000:0001";
}

/**
 * The key under which failed attempts of an address are counted. An IPv6 host usually owns a whole /64, so
 * counting per full address would give one attacker 2^64 fresh budgets; counting per /64 gives them one.
 */
export function addressBucket(address: string): string {
  const plain = unmapIpv4(address);
  if (isIP(plain) !== 6) return plain;
  const expanded = expandIpv6(plain);
  return expanded === null ? plain : `${expanded.split(":").slice(0, 4).join(":")}::/64`;
}

/** Full eight-group lowercase form of an IPv6 address (zone id dropped), or null if it is not one. */
export function expandIpv6(address: string): string | null {
  const withoutZone = address.split("%")[0] ?? "";
  if (isIP(withoutZone) !== 6) return null;
  let text = withoutZone.toLowerCase();
  // An embedded dotted IPv4 tail ("::ffff:1.2.3.4", "64:ff9b::1.2.3.4") becomes two hex groups.
  const v4Tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4Tail) {
    const [a, b, c, d] = v4Tail.slice(1).map(Number) as [number, number, number, number];
    const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    text = text.slice(0, v4Tail.index) + hex;
  }
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  return groups.map((group) => group.padStart(4, "0")).join(":");
}
