/**
 * Delivery against a real HTTPS receiver on loopback: retries (500 then 200, 429 with Retry-After), what is not
 * retried (400, a redirect, a TLS failure), timeouts, https-only at configuration and at send, the bounded
 * answer in the result, private CAs, and secrets kept out of every result and log line.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { AlertDispatcher } from "../../src/alerts/dispatcher";
import type { AlertDispatcherOptions, DeliveryResult, DispatcherLogEntry } from "../../src/alerts/dispatcher";
import { AlertConfig } from "../../src/model/alert-config";
import type { PowerEvent } from "../../src/model/power-event";
import { HttpsReceiver, makeTestCa } from "../support/https-receiver";
import type { TestCa } from "../support/https-receiver";
import { freePort } from "../support/wait";

const execFileAsync = promisify(execFile);
const T0 = Date.parse("2026-11-27T10:00:00.000Z");
let sequence = 0;

function event(overrides: Partial<PowerEvent> = {}): PowerEvent {
  sequence += 1;
  return {
    id: `evt-${sequence}`,
    // A device of its own per event: cooldowns are tested in alerts-policy.test.ts.
    device_id: `ups-${sequence}`,
    ts: new Date(T0).toISOString(),
    type: "ONBATT",
    severity: "warning",
    message: "UPS on battery",
    snapshot: null,
    recovery_of: null,
    ...overrides,
  };
}

describe("alerts: delivery, retries and failures", function () {
  this.timeout(20_000);
  let receiver: HttpsReceiver;
  let otherCa: TestCa;
  let dispatcher: AlertDispatcher;
  let sleeps: number[];
  let logs: DispatcherLogEntry[];

  before(async () => {
    receiver = await HttpsReceiver.start();
    otherCa = await makeTestCa("Unrelated CA");
  });
  after(async () => {
    await receiver.close();
  });

  function start(options: AlertDispatcherOptions = {}): AlertDispatcher {
    sleeps = [];
    logs = [];
    dispatcher = new AlertDispatcher({
      now: () => T0,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      log: (entry) => logs.push(entry),
      ...options,
    });
    return dispatcher;
  }

  beforeEach(() => {
    receiver.reset();
    start();
  });
  afterEach(async () => {
    await dispatcher.close();
  });

  const webhook = (path = "/hook", extra: Record<string, unknown> = {}) =>
    AlertConfig.parse({
      providers: [{ type: "webhook", name: "hook", url: receiver.url(path), ca: receiver.caPem, ...extra }],
    });

  async function results(config: AlertConfig, e: PowerEvent = event()): Promise<DeliveryResult[]> {
    const outcome = await dispatcher.handleEvent(config, e);
    assert.ok(outcome.alerted, JSON.stringify(outcome));
    return outcome.results;
  }

  it("500 then 200: retried after the backoff, delivered once, with the same webhook-id", async () => {
    receiver.answer({ status: 500, body: "oops" }, { status: 200 });
    const signed = webhook("/hook", { secret: "a-signing-secret" });
    assert.deepEqual(await results(signed), [{ provider: "hook", ok: true, status_code: 200, error: null }]);
    assert.deepEqual(
      receiver.requests.map((request) => request.answeredWith),
      [500, 200],
    );
    assert.deepEqual(sleeps, [1000]);
    assert.equal(receiver.requests[0]?.body, receiver.requests[1]?.body);
    const ids = receiver.requests.map((request) => request.headers["webhook-id"]);
    assert.deepEqual(ids, [ids[0], ids[0]]);
    assert.ok(ids[0]);
  });

  it("network errors, 5xx: exponential backoff, given up after the attempts, reported with the last answer", async () => {
    receiver.setDefault({ status: 503, body: "maintenance" });
    const [result] = await results(webhook());
    assert.deepEqual(result, { provider: "hook", ok: false, status_code: 503, error: "HTTP 503: maintenance" });
    assert.equal(receiver.requests.length, 4);
    assert.deepEqual(sleeps, [1000, 2000, 4000]);
    assert.ok(logs.some((entry) => entry.level === "warn" && entry.message.includes("HTTP 503")));

    const port = await freePort();
    const closed = AlertConfig.parse({
      providers: [{ type: "webhook", name: "hook", url: `https://127.0.0.1:${port}/x`, ca: receiver.caPem }],
    });
    sleeps.length = 0;
    const [refused] = await results(closed);
    assert.equal(refused?.ok, false);
    assert.equal(refused?.status_code, null);
    assert.match(refused?.error ?? "", /ECONNREFUSED/);
    assert.deepEqual(sleeps, [1000, 2000, 4000]);
  });

  it("400: not retried, reported with the provider's answer", async () => {
    receiver.answer({ status: 400, body: '{"error":"invalid payload: title missing"}' });
    assert.deepEqual(await results(webhook()), [
      { provider: "hook", ok: false, status_code: 400, error: 'HTTP 400: {"error":"invalid payload: title missing"}' },
    ]);
    assert.equal(receiver.requests.length, 1);
    assert.deepEqual(sleeps, []);
  });

  it("the provider's answer in the result is bounded, however long it is", async () => {
    receiver.answer({ status: 400, body: "x".repeat(300_000) });
    const [result] = await results(webhook());
    assert.ok((result?.error ?? "").length < 600, String(result?.error?.length));
  });

  it("429 with Retry-After: waits what the provider asks, then retries", async () => {
    receiver.answer({ status: 429, headers: { "retry-after": "7" } }, { status: 200 });
    assert.equal((await results(webhook()))[0]?.ok, true);
    assert.deepEqual(sleeps, [7000]);
    assert.equal(receiver.requests.length, 2);
  });

  it("429 with a Retry-After far away or as a date: capped at 60 s, the date read", async () => {
    receiver.answer({ status: 429, headers: { "retry-after": "3600" } }, { status: 200 });
    await results(webhook());
    receiver.answer({ status: 429, headers: { "retry-after": new Date(T0 + 12_000).toUTCString() } }, { status: 200 });
    await results(webhook());
    assert.deepEqual(sleeps, [60_000, 12_000]);
  });

  it("a hang: times out, retried, reported as a timeout", async () => {
    start({ timeoutMs: 300, retry: { attempts: 2 } });
    receiver.setDefault({ hang: true });
    const [result] = await results(webhook());
    assert.deepEqual(result, { provider: "hook", ok: false, status_code: null, error: "no answer within 300 ms" });
    assert.equal(receiver.requests.length, 2);
  });

  it("a redirect: refused, not followed, not retried", async () => {
    receiver.answer({ redirect: receiver.url("/elsewhere"), status: 307 });
    assert.deepEqual(await results(webhook()), [
      {
        provider: "hook",
        ok: false,
        status_code: 307,
        error: "redirect refused (HTTP 307): alert requests never follow redirects",
      },
    ]);
    assert.deepEqual(
      receiver.requests.map((request) => request.path),
      ["/hook"],
    );
  });

  it("an http URL: refused by the schema with the field path, and again at send", async () => {
    const parsed = AlertConfig.safeParse({
      providers: [
        { type: "gotify", name: "g", url: "https://ok.example", token: "t" },
        { type: "gotify", name: "h", url: receiver.url("/x").replace("https:", "http:"), token: "t" },
      ],
    });
    assert.equal(parsed.success, false);
    assert.deepEqual(
      parsed.error?.issues.map((issue) => issue.path.join(".")),
      ["providers.1.url"],
    );
    assert.match(parsed.error?.issues[0]?.message ?? "", /https/);

    const sneaked = webhook();
    const provider = sneaked.providers[0];
    assert.ok(provider?.type === "webhook");
    provider.url = receiver.url("/x").replace("https:", "http:");
    assert.deepEqual(await results(sneaked), [
      {
        provider: "hook",
        ok: false,
        status_code: null,
        error: "refused to send to a http: URL: only https:// is allowed",
      },
    ]);
    assert.equal(receiver.requests.length, 0);
  });

  it("an untrusted certificate: a TLS failure, not retried", async () => {
    const config = AlertConfig.parse({ providers: [{ type: "webhook", name: "hook", url: receiver.url("/x") }] });
    const [result] = await results(config);
    assert.equal(result?.ok, false);
    assert.match(result?.error ?? "", /^TLS failed: .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    assert.deepEqual(sleeps, []);
    assert.equal(receiver.requests.length, 0);
  });

  it("the provider's ca is added to Node's roots and NODE_EXTRA_CA_CERTS, not instead of them", async () => {
    const saved = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = receiver.ca.caFile;
    try {
      // The receiver's CA comes only from NODE_EXTRA_CA_CERTS; the provider's ca is another CA.
      const config = webhook("/extra", { ca: otherCa.caPem });
      assert.equal((await results(config))[0]?.ok, true);
    } finally {
      if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = saved;
    }
    const [wrong] = await results(webhook("/wrong", { ca: otherCa.caPem }));
    assert.match(wrong?.error ?? "", /^TLS failed/);
  });

  it("without a provider ca, NODE_EXTRA_CA_CERTS set at start is trusted (a child process)", async () => {
    const script = [
      'const { HttpClient } = require("./src/alerts/http-client");',
      "const client = new HttpClient();",
      `client.send({ url: ${JSON.stringify(receiver.url("/child"))}, headers: {}, body: "{}" })`,
      "  .then((r) => console.log(r.status), (e) => console.log(e.code, e.message))",
      "  .finally(() => client.close());",
    ].join("\n");
    const run = (env: NodeJS.ProcessEnv) =>
      execFileAsync(process.execPath, ["-r", "tsx/cjs", "-e", script], { cwd: process.cwd(), env, timeout: 15_000 });
    const { NODE_EXTRA_CA_CERTS: _unset, ...env } = process.env;
    assert.equal((await run({ ...env, NODE_EXTRA_CA_CERTS: receiver.ca.caFile })).stdout.trim(), "200");
    assert.match((await run(env)).stdout, /^TLS /);
    assert.deepEqual(
      receiver.requests.map((request) => request.path),
      ["/child"],
    );
  });

  it("a ca that is not PEM is refused by the schema", () => {
    const parsed = AlertConfig.safeParse({
      providers: [{ type: "discord", name: "d", url: "https://discord.com/api/webhooks/1/x", ca: "not a cert" }],
    });
    assert.deepEqual(
      parsed.error?.issues.map((issue) => issue.path.join(".")),
      ["providers.0.ca"],
    );
  });

  it("provider names are unique", () => {
    const parsed = AlertConfig.safeParse({
      providers: [
        { type: "discord", name: "same", url: "https://discord.com/api/webhooks/1/x" },
        { type: "slack", name: "same", url: "https://hooks.slack.com/services/x" },
      ],
    });
    assert.deepEqual(
      parsed.error?.issues.map((issue) => issue.path.join(".")),
      ["providers.1.name"],
    );
  });

  it("secrets never appear in results or log lines, even when the provider echoes them", async () => {
    const discordSecret = "dIsCoRdSeCrEtToKeN0123456789";
    const gotifyToken = "AgOtIfYtOkEn.42";
    const telegramToken = "987654:TeLeGrAmSeCrEtToKeN_abcdefgh";
    receiver.setDefault({
      status: 401,
      body: `bad: ${discordSecret} /api/webhooks/99/${discordSecret} ${gotifyToken} ${telegramToken}`,
    });
    const port = await freePort();
    start({ endpoints: { telegram: receiver.url("/tg") } });
    const config = AlertConfig.parse({
      providers: [
        {
          type: "discord",
          name: "discord",
          url: receiver.url(`/api/webhooks/99/${discordSecret}`),
          ca: receiver.caPem,
        },
        { type: "gotify", name: "gotify", url: receiver.url("/g"), token: gotifyToken, ca: receiver.caPem },
        { type: "telegram", name: "telegram", token: telegramToken, chat_id: "1", ca: receiver.caPem },
        {
          type: "webhook",
          name: "down",
          url: `https://127.0.0.1:${port}/hook/${discordSecret}`,
          secret: "whsec_c2VjcmV0LXNpZ25pbmcta2V5",
          ca: receiver.caPem,
        },
      ],
    });
    const outcome = await dispatcher.handleEvent(config, event());
    assert.ok(outcome.alerted);
    assert.deepEqual(
      outcome.results.map((result) => [result.provider, result.ok]),
      [
        ["discord", false],
        ["gotify", false],
        ["telegram", false],
        ["down", false],
      ],
    );
    const everything = JSON.stringify({ outcome, logs });
    for (const secret of [discordSecret, gotifyToken, telegramToken, "whsec_c2VjcmV0LXNpZ25pbmcta2V5"]) {
      assert.ok(!everything.includes(secret), `${secret} leaked: ${everything}`);
    }
    assert.ok(everything.includes("[redacted]"));
  });

  it("a plain {title, message}: to every enabled provider, without cooldown", async () => {
    const config = AlertConfig.parse({
      providers: [
        { type: "webhook", name: "a", url: receiver.url("/a"), ca: receiver.caPem },
        { type: "webhook", name: "off", enabled: false, url: receiver.url("/off"), ca: receiver.caPem },
      ],
    });
    for (let i = 0; i < 2; i++) {
      const sent = await dispatcher.sendMessage(config, { title: "Generator", message: "started" });
      assert.deepEqual(sent, [{ provider: "a", ok: true, status_code: 200, error: null }]);
    }
    assert.deepEqual(
      receiver.requests.map((request) => request.path),
      ["/a", "/a"],
    );
    const body = JSON.parse(receiver.requests[0]?.body ?? "") as { type: string; data: { title: string } };
    assert.equal(body.type, "MESSAGE");
    assert.equal(body.data.title, "Generator");
  });
});
