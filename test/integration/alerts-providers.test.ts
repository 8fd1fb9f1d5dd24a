/**
 * Every provider format, received by a real HTTPS server on loopback whose private CA is trusted through the
 * provider's `ca`, and checked exactly: method, path, the headers that matter, the body.
 */
import { strict as assert } from "node:assert";
import { createHmac } from "node:crypto";
import { AlertDispatcher } from "../../src/alerts/dispatcher";
import type { EventOutcome } from "../../src/alerts/dispatcher";
import { AlertConfig } from "../../src/model/alert-config";
import type { PowerEvent } from "../../src/model/power-event";
import { emptyStatus } from "../../src/model/snapshot";
import type { Snapshot } from "../../src/model/snapshot";
import { HttpsReceiver } from "../support/https-receiver";
import type { ReceivedRequest } from "../support/https-receiver";

const NOW = Date.parse("2026-11-27T10:00:05.000Z");
const NOW_S = Math.floor(NOW / 1000);
const TELEGRAM_TOKEN = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOpp";

const SNAPSHOT: Snapshot = {
  device_id: "rack-ups",
  ts: "2026-11-27T10:00:00.000Z",
  reachable: true,
  status: { ...emptyStatus("OB DISCHRG"), on_battery: true, discharging: true },
  battery_charge_pct: 87.4,
  battery_runtime_s: 750,
  battery_voltage_v: 26.9,
  input_voltage_v: 0,
  input_frequency_hz: null,
  output_voltage_v: 230,
  load_pct: 31,
  power_w: null,
  power_source: null,
  temperature_c: null,
  vars: { "ups.status": "OB DISCHRG" },
  error: null,
};

const ONBATT: PowerEvent = {
  id: "evt-onbatt-1",
  device_id: "rack-ups",
  ts: "2026-11-27T10:00:00.000Z",
  type: "ONBATT",
  severity: "warning",
  message: "UPS on battery",
  snapshot: SNAPSHOT,
  recovery_of: null,
};

const ONLINE: PowerEvent = {
  ...ONBATT,
  id: "evt-online-1",
  ts: "2026-11-27T10:02:00.000Z",
  type: "ONLINE",
  severity: "info",
  message: "UPS back on line power",
  snapshot: null,
  recovery_of: "evt-onbatt-1",
};

const TITLE = "[WARNING] Rack UPS: on battery";
const TEXT =
  "UPS on battery\nBattery 87 %, runtime 12 min 30 s, load 31 %, input 0 V, status OB DISCHRG\nDevice Rack UPS (rack-ups)";

describe("alerts: every provider format, received over HTTPS", function () {
  this.timeout(20_000);
  let receiver: HttpsReceiver;
  let dispatcher: AlertDispatcher;

  before(async () => {
    receiver = await HttpsReceiver.start();
  });
  after(async () => {
    await receiver.close();
  });
  beforeEach(() => {
    receiver.reset();
    dispatcher = new AlertDispatcher({
      now: () => NOW,
      sleep: async () => undefined,
      deviceName: (id) => (id === "rack-ups" ? "Rack UPS" : undefined),
      endpoints: { telegram: receiver.url("/telegram"), pushover: receiver.url("/pushover") },
    });
  });
  afterEach(async () => {
    await dispatcher.close();
  });

  const config = (provider: Record<string, unknown>): AlertConfig =>
    AlertConfig.parse({ providers: [{ name: "p", ca: receiver.caPem, ...provider }] });

  /** Handles the event and returns the one request the receiver got. */
  async function deliver(provider: Record<string, unknown>, event: PowerEvent = ONBATT): Promise<ReceivedRequest> {
    const outcome = await dispatcher.handleEvent(config(provider), event);
    assertDelivered(outcome);
    assert.equal(receiver.requests.length, 1);
    const [request] = receiver.requests;
    assert.ok(request);
    assert.equal(request.method, "POST");
    assert.equal(request.headers["content-type"], "application/json");
    assert.equal(request.headers["user-agent"], "Argus-Node-RED");
    return request;
  }

  function assertDelivered(outcome: EventOutcome): void {
    assert.ok(outcome.alerted, JSON.stringify(outcome));
    assert.deepEqual(outcome.results, [{ provider: "p", ok: true, status_code: 200, error: null }]);
  }

  const expectedPayload = {
    id: "evt-onbatt-1",
    type: "ONBATT",
    status: "firing",
    timestamp: "2026-11-27T10:00:00.000Z",
    device: { id: "rack-ups", name: "Rack UPS" },
    data: { severity: "warning", title: TITLE, message: TEXT, recovery_of: null, snapshot: SNAPSHOT },
  };

  it("webhook: the stable payload, signed with Standard Webhooks headers", async () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const request = await deliver({ type: "webhook", url: receiver.url("/hooks/argus"), secret });
    assert.equal(request.path, "/hooks/argus");
    assert.deepEqual(JSON.parse(request.body), expectedPayload);
    assert.equal(request.headers["webhook-id"], "evt-onbatt-1");
    assert.equal(request.headers["webhook-timestamp"], String(NOW_S));
    const key = Buffer.from(secret.slice("whsec_".length), "base64");
    const mac = createHmac("sha256", key).update(`evt-onbatt-1.${NOW_S}.${request.body}`).digest("base64");
    assert.equal(request.headers["webhook-signature"], `v1,${mac}`);
  });

  it("webhook: unsigned without a secret; a recovery is status resolved", async () => {
    const both = config({ type: "webhook", url: receiver.url("/hooks/argus") });
    assertDelivered(await dispatcher.handleEvent(both, ONBATT));
    assertDelivered(await dispatcher.handleEvent(both, ONLINE));
    const [, recovery] = receiver.requests;
    assert.equal(recovery?.headers["webhook-signature"], undefined);
    assert.deepEqual(JSON.parse(recovery?.body ?? ""), {
      id: "evt-online-1",
      type: "ONLINE",
      status: "resolved",
      timestamp: "2026-11-27T10:02:00.000Z",
      device: { id: "rack-ups", name: "Rack UPS" },
      data: {
        severity: "info",
        title: "[RESOLVED] Rack UPS: back on line power",
        message: "UPS back on line power\nDevice Rack UPS (rack-ups)",
        recovery_of: "evt-onbatt-1",
        snapshot: null,
      },
    });
  });

  it("gotify: POST {base}/message, token in X-Gotify-Key, plain-text extras", async () => {
    const request = await deliver({
      type: "gotify",
      url: receiver.url("/gotify/"),
      token: "AgotifyToken.1",
      priority: 7,
    });
    assert.equal(request.path, "/gotify/message");
    assert.equal(request.headers["x-gotify-key"], "AgotifyToken.1");
    assert.deepEqual(JSON.parse(request.body), {
      title: TITLE,
      message: TEXT,
      priority: 7,
      extras: { "client::display": { contentType: "text/plain" } },
    });
  });

  it("ntfy: JSON publishing to the server root, Bearer token", async () => {
    const request = await deliver({ type: "ntfy", url: receiver.url(""), topic: "ups-alerts", token: "tk_abc123" });
    assert.equal(request.path, "/");
    assert.equal(request.headers.authorization, "Bearer tk_abc123");
    assert.deepEqual(JSON.parse(request.body), {
      topic: "ups-alerts",
      title: TITLE,
      message: TEXT,
      priority: 4,
      tags: ["warning", "argus", "onbatt"],
    });
  });

  it("ntfy: user:password as Basic, no header without a token", async () => {
    await deliver({ type: "ntfy", url: receiver.url("/ntfy"), topic: "ups", token: "phil:s3cret" });
    assert.equal(receiver.requests[0]?.path, "/ntfy/");
    assert.equal(receiver.requests[0]?.headers.authorization, `Basic ${Buffer.from("phil:s3cret").toString("base64")}`);
    receiver.reset();
    await deliver(
      { type: "ntfy", url: receiver.url("/ntfy"), topic: "ups" },
      { ...ONBATT, id: "e2", device_id: "other" },
    );
    assert.equal(receiver.requests[0]?.headers.authorization, undefined);
  });

  it("discord: ?wait=true, an embed, allowed_mentions parse []", async () => {
    const request = await deliver({ type: "discord", url: receiver.url("/api/webhooks/42/secret-token?thread_id=7") });
    assert.equal(request.path, "/api/webhooks/42/secret-token?thread_id=7&wait=true");
    assert.deepEqual(JSON.parse(request.body), {
      username: "Argus",
      embeds: [
        {
          title: TITLE,
          description: TEXT,
          color: 0xf39c12,
          timestamp: "2026-11-27T10:00:00.000Z",
          fields: [
            { name: "Device", value: "Rack UPS", inline: true },
            { name: "Event", value: "ONBATT", inline: true },
            { name: "Severity", value: "warning", inline: true },
          ],
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it("slack: {text, blocks}, plain_text blocks; 200 ok as text is success", async () => {
    receiver.setDefault({ status: 200, headers: { "content-type": "text/plain" }, body: "ok" });
    const request = await deliver({ type: "slack", url: receiver.url("/services/T000/B000/XXXX") });
    assert.equal(request.path, "/services/T000/B000/XXXX");
    assert.deepEqual(JSON.parse(request.body), {
      text: `${TITLE}\n${TEXT}`,
      blocks: [
        { type: "header", text: { type: "plain_text", text: TITLE } },
        { type: "section", text: { type: "plain_text", text: TEXT } },
      ],
    });
  });

  it("telegram: POST /bot<token>/sendMessage, plain text; ok:true required", async () => {
    receiver.setDefault({ status: 200, body: '{"ok":true,"result":{"message_id":1}}' });
    const request = await deliver({ type: "telegram", token: TELEGRAM_TOKEN, chat_id: "-1001234" });
    assert.equal(request.path, `/telegram/bot${TELEGRAM_TOKEN}/sendMessage`);
    assert.deepEqual(JSON.parse(request.body), {
      chat_id: "-1001234",
      text: `${TITLE}\n\n${TEXT}`,
      disable_notification: false,
    });
  });

  it("telegram: a 200 without ok:true is a failure, reported with Telegram's description", async () => {
    receiver.setDefault({ status: 200, body: '{"ok":false,"description":"chat not found"}' });
    const outcome = await dispatcher.handleEvent(
      config({ type: "telegram", token: TELEGRAM_TOKEN, chat_id: "1" }),
      ONBATT,
    );
    assert.ok(outcome.alerted);
    assert.deepEqual(outcome.results, [
      { provider: "p", ok: false, status_code: 200, error: "Telegram did not confirm the message: chat not found" },
    ]);
    assert.equal(receiver.requests.length, 1, "a refusal is not retried");
  });

  it("pushover: POST /1/messages.json with token and user; status 1 required", async () => {
    receiver.setDefault({ status: 200, body: '{"status":1,"request":"abc"}' });
    const request = await deliver({
      type: "pushover",
      token: "azGDORePK8gMaC0QOYAMyEEuzJnyUi",
      user: "uQiRzpo4DXghDmr9QzzfQu27cmVRsG",
    });
    assert.equal(request.path, "/pushover/1/messages.json");
    assert.deepEqual(JSON.parse(request.body), {
      token: "azGDORePK8gMaC0QOYAMyEEuzJnyUi",
      user: "uQiRzpo4DXghDmr9QzzfQu27cmVRsG",
      title: TITLE,
      message: TEXT,
      priority: 0,
      timestamp: Math.floor(Date.parse(ONBATT.ts) / 1000),
    });
  });

  it("pushover: a 200 with status 0 is a failure with Pushover's errors", async () => {
    receiver.setDefault({ status: 200, body: '{"status":0,"errors":["user identifier is invalid"]}' });
    const outcome = await dispatcher.handleEvent(
      config({ type: "pushover", token: "tokentoken", user: "useruser" }),
      ONBATT,
    );
    assert.ok(outcome.alerted);
    assert.equal(outcome.results[0]?.ok, false);
    assert.equal(outcome.results[0]?.error, "Pushover did not confirm the message: user identifier is invalid");
  });

  it("apprise: the configured notify URL, {title, body, type, format}", async () => {
    const request = await deliver({ type: "apprise", url: receiver.url("/notify/argus-key") });
    assert.equal(request.path, "/notify/argus-key");
    assert.deepEqual(JSON.parse(request.body), { title: TITLE, body: TEXT, type: "warning", format: "text" });
  });

  it("apprise: 424 (some targets failed) is a failure, not retried", async () => {
    receiver.setDefault({ status: 424, body: '{"error":"one or more notification could not be sent"}' });
    const outcome = await dispatcher.handleEvent(config({ type: "apprise", url: receiver.url("/notify/k") }), ONBATT);
    assert.ok(outcome.alerted);
    assert.equal(outcome.results[0]?.status_code, 424);
    assert.equal(outcome.results[0]?.ok, false);
    assert.match(outcome.results[0]?.error ?? "", /^HTTP 424: .*could not be sent/);
    assert.equal(receiver.requests.length, 1);
  });

  it("homeassistant: the webhook URL gets the stable payload (trigger.json)", async () => {
    const request = await deliver({ type: "homeassistant", url: receiver.url("/api/webhook/argus-ups") });
    assert.equal(request.path, "/api/webhook/argus-ups");
    assert.deepEqual(JSON.parse(request.body), expectedPayload);
    assert.equal(request.headers["webhook-signature"], undefined);
  });

  it("a device name with mentions and markup reaches Discord and Slack neutralized", async () => {
    const names = (id: string) => (id === "rack-ups" ? "@everyone <!channel> *UPS*" : undefined);
    await dispatcher.close();
    dispatcher = new AlertDispatcher({ now: () => NOW, sleep: async () => undefined, deviceName: names });
    const both = AlertConfig.parse({
      providers: [
        { type: "discord", name: "d", ca: receiver.caPem, url: receiver.url("/discord") },
        { type: "slack", name: "s", ca: receiver.caPem, url: receiver.url("/slack") },
      ],
    });
    await dispatcher.handleEvent(both, ONBATT);
    const discord = receiver.requests.find((request) => request.path.startsWith("/discord"));
    const slack = receiver.requests.find((request) => request.path.startsWith("/slack"));
    const discordBody = JSON.parse(discord?.body ?? "") as {
      embeds: Array<{ title: string }>;
      allowed_mentions: unknown;
    };
    assert.equal(discordBody.embeds[0]?.title, "[WARNING] \\@everyone \\<!channel\\> \\*UPS\\*: on battery");
    assert.deepEqual(discordBody.allowed_mentions, { parse: [] });
    const slackBody = JSON.parse(slack?.body ?? "") as { text: string };
    assert.ok(slackBody.text.startsWith("[WARNING] @everyone &lt;!channel&gt; *UPS*: on battery"), slackBody.text);
  });
});
