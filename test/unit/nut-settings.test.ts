import { strict as assert } from "node:assert";
import { ConfigError } from "../../src/model/config-error";
import { slugDeviceId } from "../../src/model/device-id";
import { resolveNutSettings } from "../../src/model/nut-settings";

describe("NUT settings", () => {
  it("applies defaults to what the editor gave", () => {
    assert.deepEqual(resolveNutSettings({ host: "nas.local", ups: "rack" }, {}), {
      host: "nas.local",
      port: 3493,
      ups: "rack",
      username: "",
      password: "",
      tls: "off",
    });
  });

  it("falls back to NUT_* environment variables for empty fields only", () => {
    const env = {
      NUT_HOST: "env-host",
      NUT_PORT: "3494",
      NUT_UPS_NAME: "env-ups",
      NUT_USERNAME: "env-user",
      NUT_PASSWORD: "env-pass",
    };
    assert.deepEqual(resolveNutSettings({ host: "", port: "", ups: "", username: "", password: "" }, env), {
      host: "env-host",
      port: 3494,
      ups: "env-ups",
      username: "env-user",
      password: "env-pass",
      tls: "off",
    });
    assert.equal(resolveNutSettings({ host: "editor-host", ups: "u" }, env).host, "editor-host");
  });

  it("names every invalid field in one ConfigError", () => {
    assert.throws(
      () => resolveNutSettings({ host: "", port: "70000", ups: "has space", tls: "maybe" }, {}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, "CONFIG_INVALID");
        assert.deepEqual(error.issues.map((issue) => issue.path).sort(), ["host", "port", "tls", "ups"]);
        assert.match(error.message, /host: a NUT server host is required/);
        return true;
      },
    );
  });

  it("derives device ids that match the API's pattern", () => {
    assert.equal(slugDeviceId("Rack UPS #2"), "rack-ups-2");
    assert.equal(slugDeviceId("ups@127.0.0.1"), "ups-127-0-0-1");
    assert.equal(slugDeviceId("---"), "device");
    assert.equal(slugDeviceId("x".repeat(100)).length, 64);
  });
});
