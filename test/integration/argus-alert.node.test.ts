/** The argus-alert node in a Node-RED runtime, delivering to a real HTTPS receiver on loopback. */
import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import argusAlert from "../../src/nodes/argus-alert";
import type { PowerEvent } from "../../src/model/power-event";
import { snapshotFromNutVars } from "../../src/nut/snapshot";
import { HttpsReceiver } from "../support/https-receiver";
import { catchNode, helper } from "../support/node-red";
import { waitFor } from "../support/wait";

interface ResultMessage {
  payload: {
    alerted: boolean;
    reason: string | null;
    results: { provider: string; ok: boolean; status_code: number | null; error: string | null }[];
  };
  error?: { message: string };
}

const TOKEN = "gotify-node-token";

function onBattery(id: string): PowerEvent {
  const ts = new Date("2026-11-27T10:00:00Z");
  return {
    id,
    device_id: "rack",
    ts: ts.toISOString(),
    type: "ONBATT",
    severity: "warning",
    message: "Rack is on battery (90%, 15 min left)",
    snapshot: snapshotFromNutVars("rack", { "ups.status": "OB" }, ts),
    recovery_of: null,
  };
}

describe("argus-alert node", function () {
  this.timeout(30_000);
  let receiver: HttpsReceiver;
  let userDir: string;

  before(async () => (receiver = await HttpsReceiver.start()));
  after(async () => {
    helper.settings({});
    await receiver?.close();
  });
  // A user directory per test: the node keeps its cooldowns and outbox there across restarts, by design.
  beforeEach(async () => {
    userDir = await mkdtemp(join(tmpdir(), "argus-alert-node-"));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    receiver.reset();
    await rm(userDir, { recursive: true, force: true });
  });

  const load = (props: Record<string, unknown> = {}, credentials: Record<string, string> = {}) =>
    helper.load(
      [argusAlert, catchNode],
      [
        { id: "tab", type: "tab" },
        {
          id: "alert",
          z: "tab",
          type: "argus-alert",
          name: "phone",
          providerType: "gotify",
          priority: "8",
          cooldown: "300",
          ca: receiver.caPem,
          wires: [["out"]],
          ...props,
        },
        { id: "out", z: "tab", type: "helper" },
        { id: "catch", z: "tab", type: "catch", scope: null, uncaught: false, x: 0, y: 0, wires: [["caught"]] },
        { id: "caught", z: "tab", type: "helper" },
      ],
      { alert: { url: receiver.url("/gotify"), token: TOKEN, ...credentials } },
    );

  const collect = (id: string) => {
    const messages: ResultMessage[] = [];
    helper.getNode(id).on("input", (msg: ResultMessage) => messages.push(msg));
    return messages;
  };

  it("sends an event to Gotify with the token in its header, and reports the delivery", async () => {
    await load();
    const out = collect("out");
    helper.getNode("alert").receive({ payload: onBattery("e1") });
    await waitFor(() => out.length === 1, { what: "result" });
    assert.deepEqual(out[0]?.payload.results, [{ provider: "phone", ok: true, status_code: 200, error: null }]);
    const [request] = receiver.requests;
    assert.equal(request?.path, "/gotify/message");
    assert.equal(request?.headers["x-gotify-key"], TOKEN);
    assert.match(JSON.parse(request?.body ?? "{}").title, /rack/i);
  });

  it("keeps to the cooldown: the same device and type is not sent again", async () => {
    await load();
    const out = collect("out");
    helper.getNode("alert").receive({ payload: onBattery("e1") });
    helper.getNode("alert").receive({ payload: onBattery("e2") });
    await waitFor(() => out.length === 2, { what: "two results" });
    assert.equal(receiver.requests.length, 1);
    // The skipped one answers at once, before the delivered one has its reply: compare regardless of order.
    assert.deepEqual(out.map((m) => [m.payload.alerted, m.payload.reason]).sort(), [
      [false, "COOLDOWN"],
      [true, null],
    ]);
  });

  it("sends a plain title and message", async () => {
    await load();
    const out = collect("out");
    helper.getNode("alert").receive({ title: "Generator test", message: "Runs at 10:00" });
    await waitFor(() => out.length === 1, { what: "result" });
    const body = JSON.parse(receiver.requests[0]?.body ?? "{}");
    assert.equal(body.title, "Generator test");
    assert.equal(body.message, "Runs at 10:00");
  });

  it("reports a refusal with the provider's answer, to the output and to a Catch node, without retrying a 400", async () => {
    receiver.answer({ status: 400, body: '{"error":"bad token"}' });
    await load();
    const out = collect("out");
    const caught = collect("caught");
    helper.getNode("alert").receive({ payload: onBattery("e1") });
    await waitFor(() => out.length === 1 && caught.length === 1, { what: "failure reported" });
    const [result] = out[0]?.payload.results ?? [];
    assert.equal(result?.ok, false);
    assert.equal(result?.status_code, 400);
    assert.match(result?.error ?? "", /bad token/);
    assert.match(caught[0]?.error?.message ?? "", /^Error: alert not delivered: phone: /);
    assert.equal(receiver.requests.length, 1, "a 400 is not retried");
    assert.ok(!JSON.stringify(out).includes(TOKEN), "the token appears in no result");
  });

  it("refuses an http:// URL at configuration, naming the field", async () => {
    await load({}, { url: "http://gotify.lan" });
    const node = helper.getNode("alert");
    const calls = (node.status as unknown as { args: [{ text: string }][] }).args;
    assert.equal(calls.at(-1)?.[0].text, "providers.0.url: must be an https:// URL");
  });
});

describe("argus-alert node without a provider address", () => {
  afterEach(() => helper.unload());

  it("waits to be configured (a status, no error on deploy) and refuses a message with the reason", async () => {
    await helper.load(
      [argusAlert, catchNode],
      [
        { id: "tab", type: "tab" },
        { id: "alert", z: "tab", type: "argus-alert", providerType: "ntfy", topic: "ups", wires: [[]] },
        { id: "catch", z: "tab", type: "catch", scope: null, uncaught: false, x: 0, y: 0, wires: [["caught"]] },
        { id: "caught", z: "tab", type: "helper" },
      ],
    );
    const node = helper.getNode("alert");
    const calls = (node.status as unknown as { args: [{ fill: string; text: string }][] }).args;
    assert.deepEqual(calls.at(-1)?.[0], {
      fill: "yellow",
      shape: "ring",
      text: "not configured: set the provider's URL or token",
    });
    const caught: { error: { message: string } }[] = [];
    helper.getNode("caught").on("input", (msg: { error: { message: string } }) => caught.push(msg));
    node.receive({ title: "t", message: "m" });
    await waitFor(() => caught.length === 1, { what: "caught" });
    assert.equal(caught[0]?.error.message, "Error: argus-alert is not configured: set the provider");
  });
});
