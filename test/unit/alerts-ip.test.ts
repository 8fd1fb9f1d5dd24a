import { strict as assert } from "node:assert";
import type { Socket } from "node:net";
import type { Connector } from "../../src/alerts/http-client";
import { AlertHttpError, guardedConnector } from "../../src/alerts/http-client";
import { TargetPolicy, classifyIp, formatIp, parseAllowEntry, parseIp } from "../../src/alerts/ip-ranges";

const kind = (address: string): string => {
  const bytes = parseIp(address);
  assert.ok(bytes, address);
  return classifyIp(bytes);
};

describe("alerts address classification", () => {
  it("parses every IPv6 form to the same bytes", () => {
    const expected = formatIp(parseIp("::ffff:7f00:1") as Uint8Array);
    for (const form of ["::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "0:0:0:0:0:ffff:7f00:1", "::FFFF:7F00:1"]) {
      assert.equal(formatIp(parseIp(form) as Uint8Array), expected, form);
    }
    assert.equal(formatIp(parseIp("2001:db8:0:0:1:0:0:1") as Uint8Array), "2001:db8::1:0:0:1");
    assert.equal(formatIp(parseIp("fe80::1%eth0") as Uint8Array), "fe80::1");
    assert.equal(parseIp("127.1"), null, "only canonical forms: WHATWG URL normalizes the others first");
    assert.equal(parseIp("example.com"), null);
  });

  it("classifies the special ranges, public unicast only as public", () => {
    const cases: Array<[string, string]> = [
      ["127.0.0.1", "loopback"],
      ["127.255.0.9", "loopback"],
      ["10.1.2.3", "private"],
      ["172.16.0.1", "private"],
      ["172.31.255.255", "private"],
      ["172.32.0.1", "public"],
      ["192.168.1.20", "private"],
      ["100.64.0.1", "cgnat"],
      ["100.127.255.255", "cgnat"],
      ["169.254.169.254", "link-local"],
      ["0.0.0.0", "unspecified"],
      ["224.0.0.251", "multicast"],
      ["255.255.255.255", "broadcast"],
      ["240.0.0.1", "reserved"],
      ["198.18.0.1", "benchmarking"],
      ["192.0.2.1", "documentation"],
      ["8.8.8.8", "public"],
      ["1.1.1.1", "public"],
      ["::", "unspecified"],
      ["::1", "loopback"],
      ["fd00::1", "unique-local"],
      ["fc00::1", "unique-local"],
      ["fe80::1", "link-local"],
      ["ff02::1", "multicast"],
      ["2001:db8::1", "documentation"],
      ["::ffff:127.0.0.1", "loopback"],
      ["::ffff:10.0.0.1", "private"],
      ["::ffff:8.8.8.8", "public"],
      ["64:ff9b::a00:1", "private"],
      ["2002:7f00:1::", "loopback"],
      ["::127.0.0.1", "reserved"],
      ["2606:4700:4700::1111", "public"],
    ];
    for (const [address, expected] of cases) assert.equal(kind(address), expected, address);
  });

  it("parses allow-list entries: addresses, CIDR ranges, host names and *.suffix", () => {
    assert.equal(parseAllowEntry("192.168.1.0/24")?.kind, "range");
    assert.equal(parseAllowEntry("fd00::/8")?.kind, "range");
    assert.equal(parseAllowEntry("10.0.0.5")?.kind, "range");
    assert.deepEqual(parseAllowEntry("Gotify.LAN."), { kind: "host", name: "gotify.lan", subdomains: false });
    assert.deepEqual(parseAllowEntry("*.lan"), { kind: "host", name: "lan", subdomains: true });
    for (const bad of ["10.0.0.0/33", "::/129", "a b", "-x.lan", "http://x", "10.0.0.0/x", ""]) {
      assert.equal(parseAllowEntry(bad), null, bad);
    }
  });

  it("the policy lets allowed ranges and names through, nothing else", () => {
    const policy = new TargetPolicy(["192.168.1.0/24", "127.0.0.1", "ha.lan", "*.home.arpa"]);
    assert.equal(policy.refusal(parseIp("192.168.1.20") as Uint8Array), null);
    assert.equal(policy.refusal(parseIp("::ffff:192.168.1.20") as Uint8Array), null);
    assert.equal(policy.refusal(parseIp("192.168.2.20") as Uint8Array), "private");
    assert.equal(policy.refusal(parseIp("127.0.0.1") as Uint8Array), null);
    assert.equal(policy.refusal(parseIp("127.0.0.2") as Uint8Array), "loopback");
    assert.equal(policy.refusal(parseIp("8.8.8.8") as Uint8Array), null);
    assert.ok(policy.hostAllowed("HA.lan."));
    assert.ok(policy.hostAllowed("nas.home.arpa"));
    assert.ok(!policy.hostAllowed("home.arpa"));
    assert.ok(!policy.hostAllowed("xha.lan"));
    assert.throws(() => new TargetPolicy(["not a host"]), /allow-list entry/);
  });
});

describe("alerts guarded connector", () => {
  type Call = { hostname: string };

  function fakeBase(remoteAddress: string, calls: Call[]): Connector {
    return (options, callback) => {
      calls.push({ hostname: options.hostname });
      const socket = {
        remoteAddress,
        destroyed: false,
        destroy() {
          this.destroyed = true;
        },
      };
      callback(null, socket as unknown as Socket);
    };
  }

  function connect(connector: Connector, hostname: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      connector({ hostname, host: `${hostname}:443`, protocol: "https:", port: "443" }, (error, socket) =>
        error ? reject(error) : resolve(socket as Socket),
      );
    });
  }

  const blockedError = (error: unknown): boolean => error instanceof AlertHttpError && error.code === "BLOCKED_TARGET";

  it("refuses an IP literal without calling the base connector", async () => {
    const calls: Call[] = [];
    const connector = guardedConnector(fakeBase("127.0.0.1", calls), new TargetPolicy(), async () => []);
    for (const literal of ["127.0.0.1", "::ffff:7f00:1", "169.254.169.254", "::1"]) {
      await assert.rejects(connect(connector, literal), blockedError);
    }
    assert.equal(calls.length, 0);
  });

  it("refuses a name when any of its addresses is not public, before connecting", async () => {
    const calls: Call[] = [];
    const lookup = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.7", family: 4 },
    ];
    await assert.rejects(
      connect(guardedConnector(fakeBase("93.184.216.34", calls), new TargetPolicy(), lookup), "mixed.example"),
      blockedError,
    );
    assert.equal(calls.length, 0);
  });

  it("connects to the checked address, not the name (no second resolution)", async () => {
    const calls: Call[] = [];
    const lookup = async () => [{ address: "93.184.216.34", family: 4 }];
    await connect(guardedConnector(fakeBase("93.184.216.34", calls), new TargetPolicy(), lookup), "public.example");
    assert.deepEqual(calls, [{ hostname: "93.184.216.34" }]);
  });

  it("re-checks the peer address of the connected socket and destroys it when private", async () => {
    const calls: Call[] = [];
    let socket: { destroyed: boolean } | undefined;
    const base: Connector = (options, callback) => {
      calls.push({ hostname: options.hostname });
      socket = {
        destroyed: false,
        destroy() {
          (this as { destroyed: boolean }).destroyed = true;
        },
      } as never;
      Object.assign(socket as object, { remoteAddress: "::ffff:127.0.0.1" });
      callback(null, socket as unknown as Socket);
    };
    const lookup = async () => [{ address: "93.184.216.34", family: 4 }];
    await assert.rejects(connect(guardedConnector(base, new TargetPolicy(), lookup), "rebind.example"), blockedError);
    assert.equal(socket?.destroyed, true);
  });

  it("lets an allowed name through whatever it resolves to", async () => {
    const calls: Call[] = [];
    const connector = guardedConnector(fakeBase("192.168.1.5", calls), new TargetPolicy(["gotify.lan"]), async () => {
      throw new Error("must not resolve an allowed name here");
    });
    await connect(connector, "gotify.lan");
    assert.deepEqual(calls, [{ hostname: "gotify.lan" }]);
  });
});
