import { strict as assert } from "node:assert";
import { Snapshot } from "../../src/model/snapshot";
import { parseUpsStatus } from "../../src/nut/status";
import { parseNumber, powerOf, snapshotFromNutVars } from "../../src/nut/snapshot";

const TS = new Date("2026-11-27T10:00:00.000Z");

describe("NUT snapshot normalization", () => {
  describe("ups.status", () => {
    it("parses every documented token into its flag", () => {
      const flags = parseUpsStatus("FSD OB LB CHRG DISCHRG RB OVER BYPASS TRIM BOOST OFF CAL ALARM OL");
      const { raw, ...booleans } = flags;
      assert.equal(raw, "FSD OB LB CHRG DISCHRG RB OVER BYPASS TRIM BOOST OFF CAL ALARM OL");
      assert.ok(Object.values(booleans).every((value) => value === true));
    });

    it("does not read OL DISCHRG on mains as on battery", () => {
      const flags = parseUpsStatus("OL DISCHRG");
      assert.equal(flags.on_line, true);
      assert.equal(flags.on_battery, false);
      assert.equal(flags.discharging, true);
    });

    it("keeps unknown tokens in raw without failing", () => {
      const flags = parseUpsStatus("OL ECO TEST OVERHEAT");
      assert.equal(flags.raw, "OL ECO TEST OVERHEAT");
      assert.equal(flags.on_line, true);
      assert.equal(flags.overload, false);
    });

    it("reads nothing into an empty or WAIT status", () => {
      for (const raw of ["", "WAIT"]) {
        const { raw: _raw, ...booleans } = parseUpsStatus(raw);
        assert.ok(
          Object.values(booleans).every((value) => value === false),
          raw,
        );
      }
    });
  });

  describe("numbers", () => {
    it("parses plain numbers and refuses anything else as null", () => {
      assert.equal(parseNumber("230.4"), 230.4);
      assert.equal(parseNumber(" 100 "), 100);
      assert.equal(parseNumber("-1"), -1);
      assert.equal(parseNumber("1e3"), 1000);
      for (const bad of [undefined, "", "n/a", "12V", "0x10", "Infinity", "NaN", "1,5"]) {
        assert.equal(parseNumber(bad), null, String(bad));
      }
    });
  });

  describe("power", () => {
    it("prefers ups.realpower as measured", () => {
      assert.deepEqual(powerOf(207, 23, 900), { watts: 207, source: "measured" });
    });

    it("derives from load and nominal real power and says so", () => {
      assert.deepEqual(powerOf(null, 23, 900), { watts: 207, source: "derived" });
    });

    it("is null when nothing can say it, instead of guessing a power factor", () => {
      assert.deepEqual(powerOf(null, 23, null), { watts: null, source: null });
      assert.deepEqual(powerOf(null, null, 900), { watts: null, source: null });
      assert.deepEqual(powerOf(null, 23, 0), { watts: null, source: null });
    });
  });

  describe("snapshot", () => {
    const vars = {
      "ups.status": "OB DISCHRG",
      "battery.charge": "87",
      "battery.runtime": "1500",
      "battery.voltage": "12.9",
      "input.voltage": "0.0",
      "input.frequency": "50.0",
      "output.voltage": "229.8",
      "ups.load": "30",
      "ups.realpower.nominal": "900",
      "battery.temperature": "31",
    };

    it("maps NUT's standard variables to the snapshot fields, valid against the schema", () => {
      const snapshot = snapshotFromNutVars("rack-ups", vars, TS);
      assert.equal(Snapshot.safeParse(snapshot).success, true);
      assert.equal(snapshot.ts, "2026-11-27T10:00:00.000Z");
      assert.equal(snapshot.reachable, true);
      assert.equal(snapshot.status.on_battery, true);
      assert.equal(snapshot.battery_charge_pct, 87);
      assert.equal(snapshot.battery_runtime_s, 1500);
      assert.equal(snapshot.battery_voltage_v, 12.9);
      assert.equal(snapshot.input_voltage_v, 0);
      assert.equal(snapshot.input_frequency_hz, 50);
      assert.equal(snapshot.output_voltage_v, 229.8);
      assert.equal(snapshot.load_pct, 30);
      assert.equal(snapshot.power_w, 270);
      assert.equal(snapshot.power_source, "derived");
      assert.equal(snapshot.temperature_c, 31, "battery temperature when the UPS has no ups.temperature");
      assert.deepEqual(snapshot.vars, vars);
      assert.equal(snapshot.error, null);
    });

    it("uses the configured real power over the UPS's nominal value", () => {
      const snapshot = snapshotFromNutVars("u", vars, TS, { nominalPowerW: 600 });
      assert.equal(snapshot.power_w, 180);
    });

    it("reports null for every field the UPS does not report", () => {
      const snapshot = snapshotFromNutVars("u", { "ups.status": "OL" }, TS);
      for (const field of ["battery_charge_pct", "battery_runtime_s", "load_pct", "power_w", "temperature_c"]) {
        assert.equal(snapshot[field as keyof typeof snapshot], null, field);
      }
      assert.equal(snapshot.power_source, null);
    });
  });
});
