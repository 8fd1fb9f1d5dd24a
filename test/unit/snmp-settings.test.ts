import { strict as assert } from "node:assert";
import { ConfigError } from "../../src/model/config-error";
import { DeviceInput } from "../../src/model/device";
import { resolveSnmpSettings, SnmpSettings } from "../../src/model/snmp-settings";

/** The ConfigError's issues as "path: message", the way a node status or a 422 shows them. */
function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.code, "CONFIG_INVALID");
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  assert.fail("expected a ConfigError");
}

describe("SNMP settings", () => {
  it("applies the defaults: v2c, community public, auto profile, 3 s, 1 retry", () => {
    assert.deepEqual(resolveSnmpSettings({ host: "ups.local" }, {}), {
      host: "ups.local",
      port: 161,
      version: "2c",
      community: "public",
      profile: "auto",
      timeout_ms: 3000,
      retries: 1,
    });
  });

  it("falls back to SNMP_* environment variables for empty fields, with protocol names as manuals write them", () => {
    const env = {
      SNMP_VERSION: "3",
      SNMP_V3_USERNAME: "argus-monitor",
      SNMP_V3_AUTH_PROTOCOL: "SHA",
      SNMP_V3_AUTH_KEY: "auth-key-123",
      SNMP_V3_PRIV_PROTOCOL: "AES",
      SNMP_V3_PRIV_KEY: "priv-key-123",
      SNMP_TIMEOUT: "1.5",
      SNMP_RETRIES: "2",
    };
    assert.deepEqual(resolveSnmpSettings({ host: "10.0.0.5", version: "", username: "", timeout: "" }, env), {
      host: "10.0.0.5",
      port: 161,
      version: "3",
      community: "public",
      profile: "auto",
      timeout_ms: 1500,
      retries: 2,
      v3: {
        username: "argus-monitor",
        level: "authPriv",
        auth_protocol: "sha",
        auth_key: "auth-key-123",
        priv_protocol: "aes",
        priv_key: "priv-key-123",
        context: "",
      },
    });
  });

  it("lets a field set in the editor win over its environment variable", () => {
    const env = { SNMP_COMMUNITY: "from-env", SNMP_VERSION: "1", SNMP_TIMEOUT: "9" };
    const settings = resolveSnmpSettings({ host: "h", community: "editor", version: "2c", timeout: "2" }, env);
    assert.equal(settings.community, "editor");
    assert.equal(settings.version, "2c");
    assert.equal(settings.timeout_ms, 2000);
    assert.equal(resolveSnmpSettings({ host: "h" }, env).community, "from-env");
  });

  it("maps the names devices use to net-snmp's protocols", () => {
    const v3 = (authProtocol: string, privProtocol: string) =>
      resolveSnmpSettings(
        {
          host: "h",
          version: "v3",
          username: "u",
          authProtocol,
          authKey: "12345678",
          privProtocol,
          privKey: "12345678",
        },
        {},
      ).v3;
    assert.deepEqual(
      [v3("SHA-256", "AES-256")?.auth_protocol, v3("SHA-256", "AES-256")?.priv_protocol],
      ["sha256", "aes256b"],
    );
    assert.equal(v3("SHA1", "AES-256-C")?.priv_protocol, "aes256r");
    assert.equal(v3("sha512", "AES128")?.priv_protocol, "aes");
    assert.equal(v3("MD5", "AES256BLMT")?.priv_protocol, "aes256b");
    assert.equal(resolveSnmpSettings({ host: "h", version: "2" }, {}).version, "2c");
  });

  it("refuses SNMPv3 without a user name", () => {
    assert.deepEqual(
      issuesOf(() => resolveSnmpSettings({ host: "h", version: "3" }, {})),
      ["v3.username: SNMPv3 needs a user name"],
    );
  });

  it("refuses keys shorter than 8 characters for the levels that use them", () => {
    const input = { host: "h", version: "3", username: "u", authKey: "short", privKey: "" };
    assert.deepEqual(
      issuesOf(() => resolveSnmpSettings(input, {})),
      [
        "v3.auth_key: authPriv needs an authentication key of 8 characters or more",
        "v3.priv_key: authPriv needs a privacy key of 8 characters or more",
      ],
    );
    assert.deepEqual(
      issuesOf(() => resolveSnmpSettings({ ...input, level: "authNoPriv" }, {})),
      ["v3.auth_key: authNoPriv needs an authentication key of 8 characters or more"],
    );
    assert.equal(resolveSnmpSettings({ ...input, level: "noAuthNoPriv" }, {}).v3?.level, "noAuthNoPriv");
  });

  it("names every invalid field in one ConfigError", () => {
    const issues = issuesOf(() =>
      resolveSnmpSettings(
        {
          host: " ",
          port: "70000",
          version: "4",
          profile: "hp",
          timeout: "0.01",
          retries: "-1",
        },
        {},
      ),
    );
    assert.deepEqual(
      issues.map((issue) => issue.split(":")[0]),
      ["host", "port", "version", "profile", "timeout_ms", "retries"],
    );
  });

  it("refuses protocols net-snmp does not offer, naming the field", () => {
    const input = { host: "h", version: "3", username: "u", authKey: "12345678", privKey: "12345678" };
    const issues = issuesOf(() => resolveSnmpSettings({ ...input, authProtocol: "sha3", privProtocol: "3DES" }, {}));
    assert.deepEqual(
      issues.map((issue) => issue.split(":")[0]),
      ["v3.auth_protocol", "v3.priv_protocol"],
    );
  });

  it("is the schema the API validates devices of kind snmp with", () => {
    const device = DeviceInput.parse({
      id: "rack-ups",
      name: "Rack UPS",
      kind: "snmp",
      snmp: { host: "10.0.0.5", version: "3", v3: { username: "u", auth_key: "12345678", priv_key: "12345678" } },
    });
    assert.equal(device.kind, "snmp");
    const bad = DeviceInput.safeParse({ id: "x", name: "X", kind: "snmp", snmp: { host: "h", version: "3" } });
    assert.deepEqual(
      bad.error?.issues.map((issue) => issue.path.join(".")),
      ["snmp.v3.username"],
    );
    assert.equal(SnmpSettings.safeParse({ host: "h", extra: 1 }).success, false, "unknown fields are refused");
  });
});
