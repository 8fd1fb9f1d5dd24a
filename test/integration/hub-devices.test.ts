/**
 * Devices added through the API are polled by the server itself with the same drivers as the flow nodes: a NUT
 * device on a real upsd and an SNMP device on Debian's snmpsim, through one hub.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AlertConfig } from "../../src/model/alert-config";
import { RuntimeConfig } from "../../src/model/runtime-config";
import { ArgusHub } from "../../src/server/hub";
import { SnmpSim } from "../support/snmpsim";
import { SAMPLE_UPS_VARS, Upsd } from "../support/upsd";
import { waitFor } from "../support/wait";

describe("the server polls API devices of both kinds", function () {
  this.timeout(30_000);
  let upsd: Upsd;
  let agent: SnmpSim;
  let dataDir: string;
  let hub: ArgusHub;

  before(async () => {
    [upsd, agent] = await Promise.all([
      Upsd.start({ upses: [{ name: "rack", vars: SAMPLE_UPS_VARS }] }),
      SnmpSim.start({ profile: "apc" }),
    ]);
    dataDir = await mkdtemp(join(tmpdir(), "argus-hub-"));
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    hub = await ArgusHub.open({
      dataDir,
      runtime: RuntimeConfig.parse({}),
      alerts: AlertConfig.parse({}),
      log: quiet,
    });
  });
  after(async () => {
    await hub?.close();
    await Promise.all([upsd?.stop(), agent?.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("polls a NUT device and an SNMP device, and reports them online with their snapshots", async () => {
    await hub.addApiDevice({
      id: "nut-rack",
      name: "NUT rack",
      kind: "nut",
      enabled: true,
      poll_interval_s: 1,
      nominal_power_w: null,
      nut: { host: upsd.host, port: upsd.port, ups: "rack", username: "", password: "", tls: "off" },
    });
    await hub.addApiDevice({
      id: "snmp-apc",
      name: "APC card",
      kind: "snmp",
      enabled: true,
      poll_interval_s: 1,
      nominal_power_w: null,
      snmp: {
        host: agent.host,
        port: agent.port,
        version: "2c",
        community: agent.community,
        profile: "auto",
        timeout_ms: 2000,
        retries: 0,
      },
    });
    await waitFor(() => hub.registry.all().every((entry) => entry.online === true), { what: "both online" });
    const latest = new Map(hub.snapshots.latest().map((snapshot) => [snapshot.device_id, snapshot]));
    assert.equal(latest.get("nut-rack")?.battery_charge_pct, 100);
    assert.equal(latest.get("snmp-apc")?.reachable, true);
    assert.notEqual(latest.get("snmp-apc")?.battery_charge_pct, null);
    assert.deepEqual(
      hub.diagnosticsList().map((d) => [d.device_id, d.ok, d.protocol.kind]),
      [
        ["nut-rack", true, "nut"],
        ["snmp-apc", true, "snmp"],
      ],
    );
  });
});
