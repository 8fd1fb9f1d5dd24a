/**
 * block_private_targets against a real HTTPS receiver on 127.0.0.1: every spelling of a loopback target is
 * refused before a connection is made (the receiver sees nothing), and the allow-list lets them through again.
 */
import { strict as assert } from "node:assert";
import { AlertDispatcher } from "../../src/alerts/dispatcher";
import type { DeliveryResult } from "../../src/alerts/dispatcher";
import { AlertHttpError, HttpClient } from "../../src/alerts/http-client";
import { AlertConfig } from "../../src/model/alert-config";
import { HttpsReceiver } from "../support/https-receiver";

const T0 = Date.parse("2026-11-27T10:00:00.000Z");
let sequence = 0;

describe("alerts: private targets blocked at connect time", function () {
  this.timeout(20_000);
  let receiver: HttpsReceiver;
  let dispatcher: AlertDispatcher;
  let sleeps: number[];

  before(async () => {
    receiver = await HttpsReceiver.start();
  });
  after(async () => {
    await receiver.close();
  });
  beforeEach(() => {
    receiver.reset();
    sleeps = [];
    dispatcher = new AlertDispatcher({ now: () => T0, sleep: async (ms) => void sleeps.push(ms) });
  });
  afterEach(async () => {
    await dispatcher.close();
  });

  const forms = (port: number): Record<string, string> => ({
    "127.1": `https://127.1:${port}/hook`,
    "2130706433": `https://2130706433:${port}/hook`,
    "0x7f.1": `https://0x7f.1:${port}/hook`,
    "[::ffff:127.0.0.1]": `https://[::ffff:127.0.0.1]:${port}/hook`,
    localhost: `https://localhost:${port}/hook`,
    "127.0.0.1": `https://127.0.0.1:${port}/hook`,
  });

  async function send(url: string, settings: Record<string, unknown>): Promise<DeliveryResult> {
    sequence += 1;
    const config = AlertConfig.parse({
      providers: [{ type: "webhook", name: "hook", url, ca: receiver.caPem }],
      ...settings,
    });
    const outcome = await dispatcher.handleEvent(config, {
      id: `evt-${sequence}`,
      device_id: `ups-${sequence}`,
      ts: new Date(T0).toISOString(),
      type: "OVER",
      severity: "warning",
      message: "overload",
      snapshot: null,
      recovery_of: null,
    });
    assert.ok(outcome.alerted);
    const [result] = outcome.results;
    assert.ok(result);
    return result;
  }

  it("every spelling of loopback is refused before any connection, and not retried", async () => {
    for (const [form, url] of Object.entries(forms(receiver.port))) {
      const result = await send(url, { block_private_targets: true });
      assert.equal(result.ok, false, form);
      assert.equal(result.status_code, null);
      assert.match(result.error ?? "", /^refused to connect to .*a loopback address/, form);
    }
    assert.equal(receiver.requests.length, 0);
    assert.equal(receiver.connections, 0, "no TCP connection reached the receiver");
    assert.deepEqual(sleeps, [], "a refused target is final");
  });

  it("off by default: the same URLs are delivered (home users run Gotify on their LAN)", async () => {
    for (const form of ["127.1", "2130706433", "0x7f.1", "localhost"]) {
      const result = await send(forms(receiver.port)[form] as string, {});
      assert.equal(result.ok, true, `${form}: ${result.error}`);
    }
    assert.equal(receiver.requests.length, 4);
  });

  it("the allow-list lets chosen ranges and names through again", async () => {
    const allowRange = { block_private_targets: true, allowed_private_targets: ["127.0.0.0/8", "::1"] };
    for (const form of ["127.1", "2130706433", "0x7f.1", "localhost", "127.0.0.1"]) {
      const result = await send(forms(receiver.port)[form] as string, allowRange);
      assert.equal(result.ok, true, `${form}: ${result.error}`);
    }
    // The mapped form passes the block too; the certificate (IP:127.0.0.1) then does not match its host.
    const mapped = await send(forms(receiver.port)["[::ffff:127.0.0.1]"] as string, allowRange);
    assert.match(mapped.error ?? "", /ERR_TLS_CERT_ALTNAME_INVALID/);

    const allowName = { block_private_targets: true, allowed_private_targets: ["localhost"] };
    assert.equal((await send(forms(receiver.port).localhost as string, allowName)).ok, true);
    const other = await send(forms(receiver.port)["127.1"] as string, allowName);
    assert.match(other.error ?? "", /refused to connect/, "a name on the list does not open its addresses");
    assert.equal(receiver.requests.length, 6);
  });

  it("a name that resolves to a private address is refused at connect time by the client itself", async () => {
    const resolved: string[] = [];
    const client = new HttpClient({
      lookup: async (hostname) => {
        resolved.push(hostname);
        return [{ address: "127.0.0.1", family: 4 }];
      },
    });
    try {
      const request = { url: `https://alerts.example:${receiver.port}/x`, headers: {}, body: "{}" };
      await assert.rejects(
        client.send(request, { ca: receiver.caPem, blockPrivateTargets: true }),
        (error: unknown) => error instanceof AlertHttpError && error.code === "BLOCKED_TARGET" && !error.retryable,
      );
      assert.deepEqual(resolved, ["alerts.example"]);
      assert.equal(receiver.connections, 0);
    } finally {
      await client.close();
    }
  });
});
