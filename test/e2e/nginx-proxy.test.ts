/**
 * The API behind Debian's nginx with TLS, configured as SECURITY.md shows (test/support/nginx.ts reads the example
 * from the file), in front of a real Node-RED. Clients reach nginx from different loopback source addresses
 * (127.0.0.2, 127.0.0.3, ...: Linux routes all of 127/8 to lo), so nginx sees each as its own client, as it would
 * see machines on a LAN.
 *
 * The failed-key limiter allows 10 failures a minute per client address; the 11th attempt is refused before the
 * key is compared. With trust_proxy on it keys on X-Forwarded-For, which nginx sets to the TCP peer (replacing
 * whatever the client sent); with it off every request comes from nginx's own address, so all clients share one
 * budget. Each case uses addresses no other case used, and each deploy starts with fresh limiters.
 */
import { strict as assert } from "node:assert";
import { Agent, fetch } from "undici";
import { NodeRedProcess } from "../support/node-red-process";
import { Nginx } from "../support/nginx";
import { waitFor } from "../support/wait";

const KEY = "argus-nginx-test-key-0123456789abcdef-xyz";
const WRONG_KEY = "w".repeat(40);
const FAILED_ATTEMPTS_PER_MINUTE = 10;

interface Answer {
  status: number;
  headers: { get(name: string): string | null };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

async function request(
  agent: Agent,
  url: string,
  options: { method?: string; key?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers["X-Api-Key"] = options.key;
  const response = await fetch(url, { method: options.method ?? "GET", headers, dispatcher: agent });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parseJson(text), text };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function assertError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.body?.error?.code, code, answer.text);
}

function flow(trustProxy: boolean): object[] {
  return [{ id: "srv", type: "argus-server", name: "behind nginx", trustProxy, credentials: { apiKey: KEY } }];
}

describe("The API behind nginx with TLS, as SECURITY.md configures it", function () {
  this.timeout(60_000);
  let red: NodeRedProcess;
  let nginx: Nginx;
  const agents: Agent[] = [];

  /** A client of nginx whose connections come from `address`, trusting the test CA. */
  const client = (address: string): Agent => {
    const agent = nginx.client(address);
    agents.push(agent);
    return agent;
  };
  /** POST /api/trigger through nginx: a protected route, so the key and the failed-key limiter apply. */
  const trigger = (agent: Agent, key: string, headers?: Record<string, string>) =>
    request(agent, `${nginx.origin}/api/trigger`, { method: "POST", key, headers });

  /** Spends a client's whole budget of failures (each a 403), then checks the next attempt is refused. */
  async function exhaust(agent: Agent, headersFor: (i: number) => Record<string, string> = () => ({})) {
    for (let i = 0; i < FAILED_ATTEMPTS_PER_MINUTE; i++) {
      assertError(await trigger(agent, WRONG_KEY, headersFor(i)), 403, "API_KEY_INVALID");
    }
    const blocked = await trigger(agent, WRONG_KEY, headersFor(FAILED_ATTEMPTS_PER_MINUTE));
    assertError(blocked, 429, "TOO_MANY_FAILED_ATTEMPTS");
    assert.match(blocked.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
  }

  async function deploy(trustProxy: boolean): Promise<void> {
    await red.deploy(flow(trustProxy));
    const probe = client("127.0.0.1");
    await waitFor(
      async () => {
        const config = await request(probe, `${nginx.origin}/api/config`);
        return config.status === 200 && config.body.trust_proxy === trustProxy;
      },
      { what: `the server through nginx with trust_proxy ${trustProxy}` },
    );
  }

  before(async () => {
    red = await NodeRedProcess.start();
    nginx = await Nginx.start({ upstreamPort: red.port });
  });
  after(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
    await nginx?.stop();
    await red?.dispose();
  });

  describe("with trust_proxy on", () => {
    before(() => deploy(true));

    it("serves the API over https with the test CA trusted, and refuses to talk without it", async () => {
      const agent = client("127.0.0.1");
      const health = await request(agent, `${nginx.origin}/api/health`);
      assert.equal(health.status, 200, health.text);
      assert.equal(health.body.status, "ok");
      assert.match(health.headers.get("server") ?? "", /^nginx/, "answered through nginx");
      assert.equal(health.headers.get("x-content-type-options"), "nosniff", "Argus's headers pass through");
      assert.equal((await trigger(agent, KEY)).status, 202, "a write with the key");

      const untrusting = new Agent();
      agents.push(untrusting);
      await assert.rejects(
        request(untrusting, `${nginx.origin}/api/health`),
        (error: Error & { cause?: { code?: string } }) => /CERT|SIGNED|VERIFY/.test(error.cause?.code ?? ""),
      );
    });

    it("limits failed keys per real client: 127.0.0.2 is blocked, 127.0.0.3 is not", async () => {
      const first = client("127.0.0.2");
      const second = client("127.0.0.3");
      await exhaust(first);
      assertError(await trigger(first, KEY), 429, "TOO_MANY_FAILED_ATTEMPTS"); // refused before the key is compared
      assertError(await trigger(second, WRONG_KEY), 403, "API_KEY_INVALID"); // its own budget
      assert.equal((await trigger(second, KEY)).status, 202);
    });

    it("a forged X-Forwarded-For does not help a client: nginx sets the header to the real address", async () => {
      const forger = client("127.0.0.4");
      // A fresh forged address for every attempt: if the server believed them, each would have a fresh budget.
      const forged = (i: number) => ({ "X-Forwarded-For": `198.51.100.${i + 1}` });
      await exhaust(forger, forged);
      assertError(await trigger(forger, KEY, forged(99)), 429, "TOO_MANY_FAILED_ATTEMPTS");
      // Claiming the address of a client in good standing does not help either.
      assertError(await trigger(forger, KEY, { "X-Forwarded-For": "127.0.0.5" }), 429, "TOO_MANY_FAILED_ATTEMPTS");
      assert.equal((await trigger(client("127.0.0.5"), KEY)).status, 202);
    });
  });

  describe("with trust_proxy off", () => {
    before(() => deploy(false));

    it("counts every client as nginx's address: one client's failures block the other", async () => {
      const first = client("127.0.0.6");
      const second = client("127.0.0.7");
      await exhaust(first);
      assertError(await trigger(second, KEY), 429, "TOO_MANY_FAILED_ATTEMPTS");
      assertError(await trigger(second, WRONG_KEY), 429, "TOO_MANY_FAILED_ATTEMPTS");

      // The shared budget is that of 127.0.0.1, where nginx connects to Node-RED from: a client talking to
      // Node-RED directly from there is blocked too, one from another address is not (no global lockout).
      const direct = (address: string) => {
        const agent = new Agent({ localAddress: address });
        agents.push(agent);
        return request(agent, `${red.url}/api/trigger`, { method: "POST", key: KEY });
      };
      assertError(await direct("127.0.0.1"), 429, "TOO_MANY_FAILED_ATTEMPTS");
      assert.equal((await direct("127.0.0.8")).status, 202);
    });
  });
});
