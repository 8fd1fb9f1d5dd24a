/**
 * Alerts end to end: a real upsd's UPS goes on battery, the server detects ONBATT and sends it to HTTPS receivers
 * on loopback (a self-signed CA trusted through each provider's `ca`), one per URL-based provider format; the
 * flip back sends ONLINE as its recovery. Telegram and Pushover post to fixed public hosts, so their formats are
 * checked in-process (test/integration/alerts-providers.test.ts) against the same receiver.
 */
import { strict as assert } from "node:assert";
import type { ReceivedRequest } from "../support/https-receiver";
import { HttpsReceiver } from "../support/https-receiver";
import { call } from "../support/http";
import { NodeRedProcess } from "../support/node-red-process";
import { SAMPLE_UPS_VARS, Upsd } from "../support/upsd";
import { serverFlow } from "../support/flows";
import { waitFor } from "../support/wait";

const KEY = "argus-alerts-test-key-0123456789abcdefgh";
const GOTIFY_TOKEN = "gotify-app-token-secret";

describe("alerts end to end in a real Node-RED", function () {
  this.timeout(90_000);
  let upsd: Upsd;
  let red: NodeRedProcess;
  let receiver: HttpsReceiver;

  const providers = () => {
    const ca = receiver.caPem;
    return [
      {
        type: "webhook",
        name: "hook",
        url: receiver.url("/webhook"),
        secret: "whsec_" + Buffer.from("k".repeat(32)).toString("base64"),
        ca,
      },
      { type: "gotify", name: "gotify", url: receiver.url("/gotify"), token: GOTIFY_TOKEN, priority: 8, ca },
      { type: "ntfy", name: "ntfy", url: receiver.url("/ntfy"), topic: "ups", token: "tk_ntfytoken", ca },
      { type: "discord", name: "discord", url: receiver.url("/discord/api/webhooks/1/abc"), ca },
      { type: "slack", name: "slack", url: receiver.url("/slack/services/T/B/x"), ca },
      { type: "apprise", name: "apprise", url: receiver.url("/apprise/notify/argus"), ca },
      { type: "homeassistant", name: "ha", url: receiver.url("/ha/api/webhook/ups-alert"), ca },
    ];
  };
  const received = (prefix: string): ReceivedRequest[] => receiver.requests.filter((r) => r.path.startsWith(prefix));
  const bodyOf = (request: ReceivedRequest | undefined) => JSON.parse(request?.body ?? "null");

  before(async () => {
    receiver = await HttpsReceiver.start();
    upsd = await Upsd.start({ upses: [{ name: "rack", desc: "Rack", vars: SAMPLE_UPS_VARS }] });
    red = await NodeRedProcess.start();
    await red.deploy(serverFlow(upsd, { apiKey: KEY, ups: { interval: "0.5" } }));
    await waitFor(async () => (await call(red.url, "GET", "/api/health")).status === 200, { what: "server" });
    const saved = await call(red.url, "PUT", "/api/alerts", {
      key: KEY,
      body: { providers: providers(), cooldown_seconds: 60, recovery_cooldown_seconds: 60 },
    });
    assert.equal(saved.status, 200, saved.text);
  });
  after(async () => {
    await red?.dispose();
    await upsd?.stop();
    await receiver?.close();
  });

  it("sends ONBATT to every provider in its format, and ONLINE as the recovery", async () => {
    await upsd.setVarAsAdmin("rack", "ups.status", "OB DISCHRG");
    await waitFor(() => providers().every((p) => received(new URL(p.url).pathname).length >= 1), {
      timeoutMs: 20_000,
      what: "ONBATT at every receiver",
    });
    const events = (await call(red.url, "GET", "/api/events?type=ONBATT")).body.items;
    assert.equal(events.length, 1);

    const hook = received("/webhook")[0];
    assert.equal(bodyOf(hook).type, "ONBATT");
    assert.equal(bodyOf(hook).status, "firing");
    assert.match(String(hook?.headers["webhook-signature"]), /^v1,[A-Za-z0-9+/=]+$/);
    const gotify = received("/gotify")[0];
    assert.equal(gotify?.path, "/gotify/message");
    assert.equal(gotify?.headers["x-gotify-key"], GOTIFY_TOKEN);
    assert.match(bodyOf(gotify).title, /Rack UPS/);
    const ntfy = received("/ntfy")[0];
    assert.equal(bodyOf(ntfy).topic, "ups");
    assert.equal(ntfy?.headers.authorization, "Bearer tk_ntfytoken");
    const discord = received("/discord")[0];
    assert.match(discord?.path ?? "", /\?wait=true$/);
    assert.deepEqual(bodyOf(discord).allowed_mentions, { parse: [] });
    assert.ok(bodyOf(received("/slack")[0]).text);
    assert.ok(bodyOf(received("/apprise")[0]).body);
    assert.equal(bodyOf(received("/ha")[0]).type, "ONBATT");

    await upsd.setVarAsAdmin("rack", "ups.status", "OL");
    await waitFor(() => received("/gotify").length >= 2 && received("/webhook").length >= 2, {
      timeoutMs: 20_000,
      what: "the recovery",
    });
    const recovery = bodyOf(received("/webhook")[1]);
    assert.equal(recovery.type, "ONLINE");
    assert.equal(recovery.status, "resolved");
  });

  it("POST /api/alerts/test reports each provider, then refuses again during its cooldown", async () => {
    const before = receiver.requests.length;
    const test = await call(red.url, "POST", "/api/alerts/test", { key: KEY });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.body.status, "ok");
    assert.deepEqual(
      test.body.results.map((r: { provider: string; ok: boolean }) => [r.provider, r.ok]),
      providers().map((p) => [p.name, true]),
    );
    assert.equal(receiver.requests.length - before, providers().length);
    const again = await call(red.url, "POST", "/api/alerts/test", { key: KEY });
    assert.equal(again.status, 429);
    assert.equal(again.body.error.code, "RATE_LIMITED");
    assert.match(again.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assert.ok(!JSON.stringify((await call(red.url, "GET", "/api/alerts")).body).includes(GOTIFY_TOKEN));
  });

  it("answers 409 to a test when no provider is enabled", async () => {
    await call(red.url, "PUT", "/api/alerts", { key: KEY, body: { providers: [] } });
    const test = await call(red.url, "POST", "/api/alerts/test", { key: KEY });
    assert.equal(test.status, 409);
    assert.equal(test.body.error.code, "CONFLICT");
  });
});
