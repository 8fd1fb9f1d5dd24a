import { strict as assert } from "node:assert";
import type { IncomingMessage } from "node:http";
import {
  addressBucket,
  clientAddress,
  expandIpv6,
  isLoopback,
  lastForwardedFor,
  unmapIpv4,
} from "../../src/api/client-address";

function fakeRequest(remoteAddress: string | undefined, forwardedFor?: string): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor };
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe("api clientAddress", () => {
  it("uses the socket address and ignores X-Forwarded-For unless trustProxy", () => {
    assert.equal(clientAddress(fakeRequest("10.0.0.2", "203.0.113.5"), false), "10.0.0.2");
    assert.equal(clientAddress(fakeRequest("::ffff:10.0.0.2"), false), "10.0.0.2");
    assert.equal(clientAddress(fakeRequest(undefined), false), "unknown");
  });

  it("with trustProxy, takes the LAST X-Forwarded-For entry (the one the proxy appended)", () => {
    assert.equal(clientAddress(fakeRequest("127.0.0.1", "203.0.113.5"), true), "203.0.113.5");
    assert.equal(clientAddress(fakeRequest("127.0.0.1", "1.1.1.1, 8.8.8.8 ,203.0.113.5"), true), "203.0.113.5");
    assert.equal(clientAddress(fakeRequest("127.0.0.1"), true), "127.0.0.1", "no header: the socket");
    assert.equal(clientAddress(fakeRequest("127.0.0.1", "203.0.113.5, garbage"), true), "127.0.0.1", "not an IP");
  });
});

describe("api lastForwardedFor", () => {
  it("strips ports and brackets, and spans repeated headers", () => {
    assert.equal(lastForwardedFor("203.0.113.5:4711"), "203.0.113.5");
    assert.equal(lastForwardedFor("[2001:db8::1]:443"), "2001:db8::1");
    assert.equal(lastForwardedFor("2001:db8::1"), "2001:db8::1");
    assert.equal(lastForwardedFor(["1.1.1.1", "203.0.113.5"]), "203.0.113.5");
    assert.equal(lastForwardedFor("::ffff:203.0.113.5"), "203.0.113.5");
    assert.equal(lastForwardedFor(""), null);
    assert.equal(lastForwardedFor(undefined), null);
  });
});

describe("api isLoopback", () => {
  it("knows 127/8, ::1 and their mapped forms, nothing else", () => {
    for (const address of ["127.0.0.1", "127.255.0.9", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"]) {
      assert.equal(isLoopback(address), true, address);
    }
    for (const address of ["128.0.0.1", "10.0.0.1", "::2", "::", "unknown", "localhost", "::ffff:10.0.0.1"]) {
      assert.equal(isLoopback(address), false, address);
    }
  });
});

describe("api IPv6 helpers", () => {
  it("expands IPv6 addresses", () => {
    assert.equal(expandIpv6("::1"), "0000:0000:0000:0000:0000:0000:0000:0001");
    assert.equal(expandIpv6("2001:DB8::8:800:200C:417A"), "2001:0db8:0000:0000:0008:0800:200c:417a");
    assert.equal(expandIpv6("fe80::1%eth0"), "fe80:0000:0000:0000:0000:0000:0000:0001");
    assert.equal(expandIpv6("::ffff:1.2.3.4"), "0000:0000:0000:0000:0000:ffff:0102:0304");
    assert.equal(expandIpv6("1.2.3.4"), null);
  });

  it("buckets IPv6 by /64 and leaves IPv4 alone", () => {
    assert.equal(addressBucket("2001:db8:1:2:3:4:5:6"), "2001:0db8:0001:0002::/64");
    assert.equal(addressBucket("2001:db8:1:2::9"), "2001:0db8:0001:0002::/64");
    assert.equal(addressBucket("198.51.100.7"), "198.51.100.7");
    assert.equal(addressBucket("::ffff:198.51.100.7"), "198.51.100.7");
    assert.equal(unmapIpv4("::FFFF:10.1.2.3"), "10.1.2.3");
  });
});
