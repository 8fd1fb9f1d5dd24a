/**
 * Power events end to end: a real upsd's UPS flipped on battery and back, a restart of Node-RED in the middle of
 * the outage, and a killed driver; the events as GET /api/events reports them.
 */
import { strict as assert } from "node:assert";
import type { PowerEvent } from "../../src/model/power-event";
import { call } from "../support/http";
import { NodeRedProcess } from "../support/node-red-process";
import { SAMPLE_UPS_VARS, Upsd } from "../support/upsd";
import { serverFlow } from "../support/flows";
import { waitFor } from "../support/wait";

const KEY = "argus-events-test-key-0123456789abcdefgh";

describe("power events end to end in a real Node-RED", function () {
  this.timeout(90_000);
  let upsd: Upsd;
  let red: NodeRedProcess;

  const events = async (): Promise<PowerEvent[]> => (await call(red.url, "GET", "/api/events?limit=100")).body.items;
  const eventsOf = async (type: string) => (await events()).filter((event) => event.type === type);

  before(async () => {
    upsd = await Upsd.start({ upses: [{ name: "rack", desc: "Rack", vars: SAMPLE_UPS_VARS }] });
    red = await NodeRedProcess.start();
    await red.deploy(serverFlow(upsd, { apiKey: KEY, ups: { interval: "0.5" } }));
    await waitFor(async () => (await call(red.url, "GET", "/api/devices/rack-ups")).body?.online === true, {
      what: "UPS online",
    });
  });
  after(async () => {
    await red?.dispose();
    await upsd?.stop();
  });

  it("ONBATT when upsd says OB, once across a restart, and ONLINE as its recovery", async () => {
    await upsd.setVarAsAdmin("rack", "ups.status", "OB DISCHRG");
    const [onBattery] = await waitFor(
      async () => {
        const found = await eventsOf("ONBATT");
        return found.length === 1 ? found : null;
      },
      { what: "ONBATT" },
    );
    assert.ok(onBattery);
    assert.equal(onBattery.device_id, "rack-ups");
    assert.equal(onBattery.severity, "warning");
    assert.equal(onBattery.snapshot?.status.on_battery, true);
    assert.match(onBattery.message, /^Rack UPS is on battery/);

    await red.restart();
    await waitFor(async () => (await call(red.url, "GET", "/api/devices/rack-ups")).body?.online === true, {
      timeoutMs: 30_000,
      what: "polling again after the restart",
    });
    const polledAfter = (await call(red.url, "GET", "/api/health")).body.last_poll_at;
    await waitFor(async () => (await call(red.url, "GET", "/api/health")).body.last_poll_at > polledAfter, {
      what: "another poll on battery",
    });
    assert.equal((await eventsOf("ONBATT")).length, 1, "the restart did not repeat ONBATT");

    await upsd.setVarAsAdmin("rack", "ups.status", "OL");
    const [online] = await waitFor(
      async () => {
        const found = await eventsOf("ONLINE");
        return found.length === 1 ? found : null;
      },
      { what: "ONLINE" },
    );
    assert.equal(online?.recovery_of, onBattery.id, "the ONLINE ends the ONBATT from before the restart");
    assert.equal(online?.severity, "info");
  });

  it("COMMBAD after three failed polls when the driver dies, COMMOK when it is back", async () => {
    await upsd.killDriver("rack");
    const [commBad] = await waitFor(
      async () => {
        const found = await eventsOf("COMMBAD");
        return found.length === 1 ? found : null;
      },
      { timeoutMs: 20_000, what: "COMMBAD" },
    );
    assert.match(commBad?.message ?? "", /driver not connected/);
    await upsd.startDriver("rack");
    const [commOk] = await waitFor(
      async () => {
        const found = await eventsOf("COMMOK");
        return found.length === 1 ? found : null;
      },
      { timeoutMs: 20_000, what: "COMMOK" },
    );
    assert.equal(commOk?.recovery_of, commBad?.id);
    const filtered = await call(red.url, "GET", "/api/events?type=COMMOK&severity=info");
    assert.deepEqual(
      filtered.body.items.map((event: PowerEvent) => event.id),
      [commOk?.id],
    );
  });
});
