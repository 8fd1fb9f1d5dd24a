/** The NUT client and driver against a real upsd with dummy-ups drivers (Debian nut-server). */
import { strict as assert } from "node:assert";
import { NutClient } from "../../src/nut/client";
import { NutDriver } from "../../src/nut/driver";
import { NutError } from "../../src/nut/errors";
import { NutClientPool } from "../../src/nut/pool";
import type { NutSettings } from "../../src/model/nut-settings";
import { SAMPLE_UPS_VARS, Upsd } from "../support/upsd";
import { discover } from "../../src/nodes/nut-discovery-route";
import { freePort, waitFor } from "../support/wait";

/** Fast reconnects so restarts are seen within a test's patience; production uses 1 s to 60 s. */
const pool = new NutClientPool({ backoffMinMs: 50, backoffMaxMs: 300, limits: { timeoutMs: 2000 } });

function settings(upsd: Upsd, overrides: Partial<NutSettings> = {}): NutSettings {
  return { host: upsd.host, port: upsd.port, ups: "rack", username: "", password: "", tls: "off", ...overrides };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof NutError, String(error));
    assert.equal(error.code, code);
    return true;
  });
}

describe("NUT client against a real upsd", function () {
  this.timeout(30_000);
  let upsd: Upsd;
  const drivers: NutDriver[] = [];
  const driver = (overrides: Partial<NutSettings> = {}, id = "rack") => {
    const created = new NutDriver(id, settings(upsd, overrides), { pool });
    drivers.push(created);
    return created;
  };

  before(async () => {
    upsd = await Upsd.start({
      upses: [
        { name: "rack", desc: "Rack UPS", vars: SAMPLE_UPS_VARS },
        { name: "desk", desc: "Desk UPS", vars: { ...SAMPLE_UPS_VARS, "ups.realpower": "" } },
      ],
    });
  });
  afterEach(() => drivers.splice(0).forEach((d) => d.close()));
  after(async () => {
    assert.equal(pool.size, 0, "every client released");
    await upsd?.stop();
  });

  it("lists the UPSes of the server", async () => {
    const client = new NutClient({ host: upsd.host, port: upsd.port, tls: "off" });
    try {
      const listed = await client.listUps();
      assert.deepEqual(
        listed.sort((a, b) => a.name.localeCompare(b.name)),
        [
          { name: "desk", description: "Desk UPS" },
          { name: "rack", description: "Rack UPS" },
        ],
      );
    } finally {
      client.close();
    }
  });

  it("lists a UPS's instant commands and writable variables", async () => {
    const client = new NutClient({ host: upsd.host, port: upsd.port, tls: "off" });
    try {
      assert.deepEqual(await client.listCommands("rack"), ["load.off"]);
      const writable = await client.listRw("rack");
      assert.equal(writable["ups.delay.shutdown"], "20");
      await assert.rejects(client.listCommands("nope"), (error: unknown) => (error as NutError).code === "UNKNOWN-UPS");
    } finally {
      client.close();
    }
  });

  it("answers the editor's discovery request with the server's UPSes, and a reason when it cannot", async () => {
    const found = await discover({ host: upsd.host, port: String(upsd.port), tls: "off" });
    assert.equal(found.status, 200);
    assert.deepEqual((found.body as { items: { name: string }[] }).items.map((ups) => ups.name).sort(), [
      "desk",
      "rack",
    ]);
    assert.deepEqual(await discover({ host: upsd.host, port: "70000" }), {
      status: 400,
      body: { error: "✖ Too big: expected number to be <=65535\n  → at port" },
    });
    const fromEnv = await discover(
      { host: "UPS_HOST", hostType: "env", port: String(upsd.port) },
      { UPS_HOST: upsd.host },
    );
    assert.equal(fromEnv.status, 200, "a host the editor names as an environment variable");
    const refused = await discover({ host: upsd.host, port: String(await freePort()) });
    assert.deepEqual(refused, { status: 502, body: { error: "server down: connection refused" } });
  });

  it("reads a snapshot whose variables equal what upsc reports", async () => {
    const rack = driver();
    for (let poll = 0; poll < 2; poll++) {
      // the first poll discovers with LIST VAR, the second reads with pipelined GET VARs: both must agree
      const snapshot = await rack.poll();
      assert.equal(snapshot.reachable, true, JSON.stringify(snapshot.error));
      assert.deepEqual(snapshot.vars, await upsd.upsc("rack"));
      assert.equal(snapshot.battery_charge_pct, 100);
      assert.equal(snapshot.battery_runtime_s, 1800);
      assert.equal(snapshot.input_voltage_v, 230.4);
      assert.equal(snapshot.power_w, 207);
      assert.equal(snapshot.power_source, "measured");
      assert.equal(snapshot.temperature_c, 29.5);
      assert.equal(snapshot.status.on_line, true);
    }
  });

  it("shares one connection between the UPSes of one server", async () => {
    const rack = driver();
    const desk = driver({ ups: "desk" }, "desk");
    assert.equal(pool.size, 1);
    const [a, b] = await Promise.all([rack.poll(), desk.poll()]);
    assert.equal(a.reachable && b.reachable, true);
    assert.equal(b.power_w, 207, "derived from load 23% of 900 W");
    assert.equal(b.power_source, "derived");
  });

  it("sees a status flip on the next poll", async () => {
    const rack = driver();
    await rack.poll();
    await upsd.setVarAsAdmin("rack", "ups.status", "OB DISCHRG");
    const onBattery = await rack.poll();
    assert.equal(onBattery.status.on_battery, true);
    assert.equal(onBattery.status.raw, "OB DISCHRG");
    await upsd.writeVars("rack", { "ups.status": "OL" });
    assert.equal((await rack.poll()).status.on_battery, false);
  });

  it("reports an unknown UPS by name of the problem", async () => {
    const snapshot = await driver({ ups: "nope" }, "nope").poll();
    assert.equal(snapshot.reachable, false);
    assert.equal(snapshot.error?.code, "UNKNOWN-UPS");
  });

  it("runs INSTCMD and SET VAR with rights, and is refused without them", async () => {
    const admin = driver({ username: upsd.users.admin.username, password: upsd.users.admin.password });
    assert.equal(await admin.instcmd("load.off"), "OK");
    await rejectsWith(admin.instcmd("beeper.toggle"), "CMD-NOT-SUPPORTED");
    assert.equal(await admin.setVar("ups.delay.shutdown", "30"), "OK");
    await waitFor(async () => (await upsd.getVar("rack", "ups.delay.shutdown")) === "30", { what: "variable set" });
    await rejectsWith(admin.setVar("ups.no.such.var", "1"), "VAR-NOT-SUPPORTED");

    const nobody = driver({ username: upsd.users.nobody.username, password: upsd.users.nobody.password });
    await rejectsWith(nobody.instcmd("load.off"), "ACCESS-DENIED");
    await rejectsWith(nobody.setVar("ups.delay.shutdown", "40"), "ACCESS-DENIED");

    const wrongPassword = driver({ username: upsd.users.admin.username, password: "wrong" });
    await rejectsWith(wrongPassword.instcmd("load.off"), "ACCESS-DENIED");

    await rejectsWith(
      Promise.resolve().then(() => driver().instcmd("load.off")),
      "USERNAME-REQUIRED",
    );
  });

  it("reports DATA-STALE while the driver is stopped, and recovers", async () => {
    const rack = driver();
    assert.equal((await rack.poll()).reachable, true);
    upsd.pauseDriver("rack");
    try {
      const stale = await waitFor(
        async () => {
          const snapshot = await rack.poll();
          return snapshot.error?.code === "DATA-STALE" && snapshot;
        },
        { timeoutMs: 15_000, what: "DATA-STALE" },
      );
      assert.ok(stale);
      assert.equal(stale.reachable, false);
    } finally {
      upsd.resumeDriver("rack");
    }
    await waitFor(async () => (await rack.poll()).reachable, { timeoutMs: 15_000, what: "fresh data" });
  });

  it("reports DRIVER-NOT-CONNECTED when the driver dies, and recovers when it is back", async () => {
    const rack = driver();
    await upsd.killDriver("rack");
    const snapshot = await waitFor(
      async () => {
        const polled = await rack.poll();
        return polled.error?.code === "DRIVER-NOT-CONNECTED" && polled;
      },
      { what: "DRIVER-NOT-CONNECTED" },
    );
    assert.ok(snapshot);
    assert.equal(snapshot.reachable, false);
    await upsd.startDriver("rack");
    await waitFor(async () => (await rack.poll()).reachable, { timeoutMs: 15_000, what: "driver back" });
  });

  it("reconnects by itself after upsd restarts", async () => {
    const rack = driver();
    assert.equal((await rack.poll()).reachable, true);
    await upsd.stopServer();
    const down = await rack.poll();
    assert.equal(down.reachable, false);
    assert.ok(["CONNECTION-CLOSED", "CONNECTION-REFUSED"].includes(down.error?.code ?? ""), down.error?.code);
    await upsd.startServer();
    await waitFor(async () => (await rack.poll()).reachable, { timeoutMs: 15_000, what: "reconnected" });
  });
});

describe("NUT client over STARTTLS against a real upsd with an NSS certificate", function () {
  this.timeout(30_000);
  let upsd: Upsd;
  let plain: Upsd;

  before(async () => {
    [upsd, plain] = await Promise.all([
      Upsd.start({ upses: [{ name: "rack", vars: SAMPLE_UPS_VARS }], tls: true }),
      Upsd.start({ upses: [{ name: "rack", vars: SAMPLE_UPS_VARS }] }),
    ]);
  });
  after(async () => Promise.all([upsd?.stop(), plain?.stop()]));

  const client = (server: Upsd, tls: "starttls" | "required", extra: { ca?: string; fingerprint256?: string }) =>
    new NutClient({ host: server.host, port: server.port, tls, ...extra }, { limits: { timeoutMs: 3000 } });

  async function readStatus(nut: NutClient): Promise<string> {
    try {
      return await nut.getVar("rack", "ups.status");
    } finally {
      nut.close();
    }
  }

  it("talks TLS when required, trusting the configured CA", async () => {
    assert.equal(await readStatus(client(upsd, "required", { ca: upsd.tls?.caPem })), "OL");
  });

  it("talks TLS to a pinned certificate", async () => {
    const pinned = client(upsd, "required", { fingerprint256: upsd.tls?.certFingerprint256 });
    assert.equal(await readStatus(pinned), "OL");
  });

  it("refuses a certificate it cannot trust", async () => {
    await rejectsWith(readStatus(client(upsd, "required", {})), "TLS");
    const wrongPin = client(upsd, "required", { fingerprint256: "AA:".repeat(31) + "AA" });
    await rejectsWith(readStatus(wrongPin), "TLS");
  });

  it("refuses a server without TLS when TLS is required, and carries on in plain text when it is optional", async () => {
    await rejectsWith(readStatus(client(plain, "required", {})), "TLS-UNAVAILABLE");
    assert.equal(await readStatus(client(plain, "starttls", {})), "OL");
  });
});
