import { strict as assert } from "node:assert";
import {
  escapeDiscord,
  escapeSlack,
  messageFromEvent,
  messageFromText,
  neutralizeAtMentions,
  plainText,
  testMessage,
} from "../../src/alerts/message";
import { DEFAULT_ENDPOINTS, buildProviderRequest, providerSecrets } from "../../src/alerts/providers";
import type { AlertProvider } from "../../src/model/alert-config";
import type { PowerEvent } from "../../src/model/power-event";
import { emptyStatus } from "../../src/model/snapshot";
import type { Snapshot } from "../../src/model/snapshot";

function snapshot(): Snapshot {
  return {
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
    vars: {},
    error: null,
  };
}

function event(overrides: Partial<PowerEvent> = {}): PowerEvent {
  return {
    id: "evt-1",
    device_id: "rack-ups",
    ts: "2026-11-27T10:00:00.000Z",
    type: "ONBATT",
    severity: "warning",
    message: "UPS on battery",
    snapshot: snapshot(),
    recovery_of: null,
    ...overrides,
  };
}

const context = { now: new Date("2026-11-27T10:00:01.000Z"), endpoints: DEFAULT_ENDPOINTS };

function body(provider: AlertProvider, name: string): Record<string, unknown> {
  const message = messageFromEvent(event({ message: `${name} says hi` }), { deviceName: name });
  return JSON.parse(buildProviderRequest(provider, message, context).body) as Record<string, unknown>;
}

describe("alerts message", () => {
  it("puts the device name and the severity in the title; the id where no name is known", () => {
    const message = messageFromEvent(event(), { deviceName: "Rack UPS" });
    assert.equal(message.title, "[WARNING] Rack UPS: on battery");
    assert.equal(message.status, "firing");
    assert.equal(message.id, "evt-1");
    assert.deepEqual(message.device, { id: "rack-ups", name: "Rack UPS" });
    assert.equal(
      message.text,
      "UPS on battery\nBattery 87 %, runtime 12 min 30 s, load 31 %, input 0 V, status OB DISCHRG\nDevice Rack UPS (rack-ups)",
    );
    assert.equal(messageFromEvent(event()).title, "[WARNING] rack-ups: on battery");
  });

  it("marks a recovery as resolved", () => {
    const message = messageFromEvent(event({ type: "ONLINE", severity: "info", recovery_of: "evt-1" }));
    assert.equal(message.status, "resolved");
    assert.equal(message.title, "[RESOLVED] rack-ups: back on line power");
    assert.equal(message.data.recovery_of, "evt-1");
  });

  it("strips control and bidi characters and keeps the title on one line", () => {
    const message = messageFromEvent(event(), { deviceName: "evil\u202e\nname\u0007" });
    assert.equal(message.device?.name, "evil name");
    assert.equal(plainText("a\r\nb\u0000c\u2066d"), "a\nbcd");
  });

  it("a plain {title, message}: device name added to the title, severity info by default", () => {
    const now = new Date("2026-11-27T11:00:00.000Z");
    const message = messageFromText(
      { title: "Check the fan", message: "It is loud", device: { id: "a", name: "Lab UPS" } },
      now,
    );
    assert.equal(message.title, "Lab UPS: Check the fan");
    assert.equal(message.severity, "info");
    assert.equal(message.type, "MESSAGE");
    assert.equal(message.timestamp, now.toISOString());
    assert.equal(testMessage(now, "test-1").type, "TEST");
  });
});

describe("alerts neutralization per provider", () => {
  const nasty = "@everyone <!channel> <@U123> *bold* _it_ `code` [link](https://x.example) & ~s~";

  it("Slack: &, < and > escaped everywhere, so <!channel> and <@U123> are text", () => {
    assert.equal(escapeSlack("<!channel> & <@U1>"), "&lt;!channel&gt; &amp; &lt;@U1&gt;");
    const slack = body(
      { type: "slack", name: "s", enabled: true, url: "https://hooks.slack.com/services/T/B/X" },
      nasty,
    );
    const text = JSON.stringify(slack);
    assert.ok(!text.includes("<!channel>") && !text.includes("<@U123>"), text);
    assert.ok(text.includes("&lt;!channel&gt;"));
    const blocks = slack.blocks as Array<{ text: { type: string } }>;
    assert.deepEqual(
      blocks.map((block) => block.text.type),
      ["plain_text", "plain_text"],
    );
  });

  it("Discord: allowed_mentions parse [] and markdown escaped", () => {
    assert.equal(escapeDiscord("*a* _b_ `c` <@1> @everyone"), "\\*a\\* \\_b\\_ \\`c\\` \\<\\@1\\> \\@everyone");
    assert.equal(escapeDiscord("# head\n- item"), "\\# head\n\\- item");
    assert.equal(escapeDiscord("[WARNING] [x](https://evil.example)"), "[WARNING] [x]\\(https://evil.example)");
    const discord = body(
      { type: "discord", name: "d", enabled: true, url: "https://discord.com/api/webhooks/1/t" },
      nasty,
    );
    assert.deepEqual(discord.allowed_mentions, { parse: [] });
    const embed = (discord.embeds as Array<{ title: string; description: string }>)[0];
    assert.ok(embed?.title.includes("\\@everyone"), embed?.title);
    assert.ok(embed?.description.includes("\\*bold\\*"), embed?.description);
    assert.ok(embed?.description.includes("[link]\\(https://x.example)"), embed?.description);
    assert.ok(!/(^|[^\\])@everyone/.test(JSON.stringify(discord.embeds)));
  });

  it("Telegram: plain text (no parse_mode), @mentions broken by a word joiner", () => {
    assert.equal(neutralizeAtMentions("hi @admin and a@b"), "hi @\u2060admin and a@\u2060b");
    const telegram = body(
      { type: "telegram", name: "t", enabled: true, token: "123:abcdefghijklmnopqrstuvwxyz", chat_id: "42" },
      "@admin",
    );
    assert.equal(telegram.parse_mode, undefined);
    assert.ok(String(telegram.text).includes("@\u2060admin"));
    assert.ok(!/@admin/.test(String(telegram.text)));
  });

  it("Gotify, ntfy, Pushover, Apprise: plain text, no markup", () => {
    const gotify = body(
      { type: "gotify", name: "g", enabled: true, url: "https://g.example", token: "tok1", priority: 8 },
      "x",
    );
    assert.deepEqual(gotify.extras, { "client::display": { contentType: "text/plain" } });
    const ntfy = body({ type: "ntfy", name: "n", enabled: true, url: "https://n.example", topic: "ups" }, "x");
    assert.equal(ntfy.markdown, undefined);
    const pushover = body({ type: "pushover", name: "p", enabled: true, token: "apptoken", user: "userkey" }, "x");
    assert.equal(pushover.html, undefined);
    const apprise = body({ type: "apprise", name: "a", enabled: true, url: "https://a.example/notify/k" }, "x");
    assert.equal(apprise.format, "text");
  });

  it("knows every secret a provider carries, URL secrets included", () => {
    const secrets = providerSecrets({
      type: "discord",
      name: "d",
      enabled: true,
      url: "https://discord.com/api/webhooks/123456789/AbCdEfGhIjKl",
    });
    assert.ok(secrets.includes("AbCdEfGhIjKl"));
    assert.ok(secrets.includes("/api/webhooks/123456789/AbCdEfGhIjKl"));
    const telegram = providerSecrets({
      type: "telegram",
      name: "t",
      enabled: true,
      token: "123:abcdefghijklmnopqrstuvwxyz",
      chat_id: "1",
    });
    assert.deepEqual(telegram, ["123:abcdefghijklmnopqrstuvwxyz"]);
  });
});
