import { strict as assert } from "node:assert";
import { alertConfigFromEnv } from "../../src/model/alert-config-env";
import { ConfigError } from "../../src/model/config-error";

describe("alert configuration from the guide's environment variables", () => {
  it("makes one provider per variable set, and reads ALERT_ON_DEVICE_OFFLINE", () => {
    const config = alertConfigFromEnv({
      WEBHOOK_URL: "https://hooks.example/argus",
      GOTIFY_URL: "https://gotify.lan",
      GOTIFY_TOKEN: "tok",
      NTFY_URL: "https://ntfy.sh",
      NTFY_TOPIC: "ups",
      ALERT_ON_DEVICE_OFFLINE: "false",
    });
    assert.deepEqual(
      config.providers.map((p) => p.type),
      ["webhook", "gotify", "ntfy"],
    );
    assert.equal(config.alert_on_device_offline, false);
  });

  it("has no provider and the defaults when nothing is set", () => {
    const config = alertConfigFromEnv({});
    assert.deepEqual(config.providers, []);
    assert.equal(config.alert_on_device_offline, true);
  });

  it("refuses an http:// URL, naming the provider field", () => {
    assert.throws(
      () => alertConfigFromEnv({ GOTIFY_URL: "http://gotify.lan", GOTIFY_TOKEN: "tok" }),
      (error: unknown) => error instanceof ConfigError && error.issues[0]?.path === "env 0.url",
    );
  });
});
