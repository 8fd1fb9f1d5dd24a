// Proves the real-upsd fixture does what integration tests and benchmarks rely on.
import { strict as assert } from "node:assert";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { connect as netConnect } from "node:net";
import type { Socket } from "node:net";
import { checkServerIdentity, connect as tlsConnect } from "node:tls";
import type { TLSSocket } from "node:tls";
import { SAMPLE_UPS_VARS, Upsd, processGone } from "../support/upsd";
import { waitFor } from "../support/wait";

/** Resolves with the NUT error code a GET VAR fails with, or undefined when it succeeds. */
async function errorCode(upsd: Upsd, ups: string, name = "ups.status"): Promise<string | undefined> {
  try {
    await upsd.getVar(ups, name);
    return undefined;
  } catch (err) {
    return /ERR (\S+)/.exec((err as Error).message)?.[1] ?? (err as Error).message;
  }
}

function readLine(socket: Socket | TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString("utf8");
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      socket.off("data", onData);
      socket.off("error", reject);
      resolve(buffered.slice(0, newline));
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

describe("Upsd harness (real upsd + dummy-ups)", function () {
  this.timeout(20_000);
  let upsd: Upsd;

  before(async () => {
    upsd = await Upsd.start({
      upses: [
        { name: "alpha", desc: "Rack A", vars: SAMPLE_UPS_VARS },
        { name: "beta", vars: { ...SAMPLE_UPS_VARS, "ups.status": "OB DISCHRG", "battery.charge": "64" } },
      ],
    });
  });

  after(async () => {
    await upsd?.stop();
  });

  it("serves the sample variables through upsc", async () => {
    const vars = await upsd.upsc("alpha");
    for (const [name, value] of Object.entries(SAMPLE_UPS_VARS)) assert.equal(vars[name], value, name);
    assert.equal(vars["driver.name"], "dummy-ups");
    assert.equal(await upsd.getVar("beta", "ups.status"), "OB DISCHRG");
  });

  it("writeVars changes what upsd reports, even twice within one second", async () => {
    await upsd.writeVars("alpha", { "ups.status": "OB DISCHRG", "battery.charge": "87" });
    assert.equal(await upsd.getVar("alpha", "ups.status"), "OB DISCHRG");
    await upsd.writeVars("alpha", { "ups.status": "OL" });
    assert.equal(await upsd.getVar("alpha", "ups.status"), "OL");
    assert.equal(await upsd.getVar("alpha", "battery.charge"), "87", "earlier vars stay in the file");
  });

  it("setVarAsAdmin sets values with spaces at once", async () => {
    await upsd.setVarAsAdmin("alpha", "ups.status", "OB LB");
    assert.equal(await upsd.getVar("alpha", "ups.status"), "OB LB");
    await upsd.setVarAsAdmin("alpha", "ups.test.result", "Aborted: 5%");
    assert.equal(await upsd.getVar("alpha", "ups.test.result"), "Aborted: 5%");
    await assert.rejects(upsd.setVarAsAdmin("alpha", "ups.test.result", 'say "hi"'), /mangled/);
  });

  it("getVar rejects with the NUT error code", async () => {
    assert.equal(await errorCode(upsd, "nosuch"), "UNKNOWN-UPS");
    assert.equal(await errorCode(upsd, "alpha", "no.such.var"), "VAR-NOT-SUPPORTED");
  });

  it("pauseDriver gives DATA-STALE within MAXAGE and resumeDriver recovers", async () => {
    upsd.pauseDriver("beta");
    const paused = Date.now();
    await waitFor(async () => (await errorCode(upsd, "beta")) === "DATA-STALE", {
      timeoutMs: (upsd.maxAge + 2) * 1000,
      what: "DATA-STALE",
    });
    assert.ok(Date.now() - paused <= (upsd.maxAge + 2) * 1000);
    assert.equal(await errorCode(upsd, "alpha"), undefined, "other UPSes stay fresh");
    upsd.resumeDriver("beta");
    await waitFor(async () => (await errorCode(upsd, "beta")) === undefined, { timeoutMs: 5_000, what: "recovery" });
  });

  it("killDriver gives DRIVER-NOT-CONNECTED and startDriver brings the UPS back", async () => {
    await upsd.killDriver("beta");
    await waitFor(async () => (await errorCode(upsd, "beta")) === "DRIVER-NOT-CONNECTED", {
      timeoutMs: 5_000,
      what: "DRIVER-NOT-CONNECTED",
    });
    await upsd.startDriver("beta");
    assert.equal(await upsd.getVar("beta", "ups.status"), "OB DISCHRG");
  });

  it("stopServer refuses connections and startServer serves again on the same port", async () => {
    const port = upsd.port;
    await upsd.stopServer();
    await assert.rejects(upsd.getVar("alpha", "ups.status"), /ECONNREFUSED/);
    await upsd.startServer();
    assert.equal(upsd.port, port);
    assert.equal(await upsd.getVar("beta", "battery.charge"), "64");
  });

  it("stop() ends every process it started and removes its directory", async () => {
    const pids = [...upsd.startedPids];
    assert.ok(pids.length >= 4, `expected drivers, restarts and upsd, got ${pids.join(",")}`);
    await upsd.stop();
    for (const pid of pids) assert.ok(processGone(pid), `pid ${pid} still alive`);
    assert.equal(existsSync(upsd.dir), false);
  });
});

describe("Upsd harness with TLS", function () {
  this.timeout(20_000);
  let upsd: Upsd;

  before(async () => {
    upsd = await Upsd.start({ upses: [{ name: "secure", vars: SAMPLE_UPS_VARS }], tls: true });
  });

  after(async () => {
    await upsd?.stop();
  });

  it("answers STARTTLS and completes a verified handshake for 127.0.0.1", async () => {
    const tlsInfo = upsd.tls;
    assert.ok(tlsInfo, "tls info present");
    const socket = netConnect({ host: upsd.host, port: upsd.port });
    await once(socket, "connect");
    socket.write("STARTTLS\n");
    assert.equal(await readLine(socket), "OK STARTTLS");

    // No IP addresses in SNI (RFC 6066): verify the IP SAN explicitly instead.
    const secure = tlsConnect({
      socket,
      ca: tlsInfo.caPem,
      checkServerIdentity: (_host, cert) => checkServerIdentity("127.0.0.1", cert),
    });
    try {
      await once(secure, "secureConnect");
      assert.equal(secure.authorized, true);
      const cert = secure.getPeerCertificate();
      assert.equal(cert.fingerprint256, tlsInfo.certFingerprint256);
      assert.equal(checkServerIdentity("localhost", cert), undefined);
      assert.ok(checkServerIdentity("example.com", cert) instanceof Error);
      secure.write("GET VAR secure ups.status\n");
      assert.equal(await readLine(secure), 'VAR secure ups.status "OL"');
    } finally {
      secure.destroy();
    }
  });

  it("still serves plain clients, and upsc (which upgrades on its own)", async () => {
    assert.equal(await upsd.getVar("secure", "ups.status"), "OL");
    assert.equal((await upsd.upsc("secure"))["ups.model"], SAMPLE_UPS_VARS["ups.model"]);
  });
});
