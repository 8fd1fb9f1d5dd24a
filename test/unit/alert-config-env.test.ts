import { strict as assert } from "node:assert";
import { alertConfigFromEnv } from "../../src/model/alert-config-env";

describe("alert configuration from the guide's environment variables", () => {
  it("makes one provider per variable set, and reads ALERT_ON_DEVICE_OFFLINE", () => {
    const { config, problems } = alertConfigFromEnv({
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
    assert.deepEqual(problems, []);
  });

  it("has no provider and the defaults when nothing is set", () => {
    const { config, problems } = alertConfigFromEnv({});
    assert.deepEqual(config.providers, []);
    assert.equal(config.alert_on_device_offline, true);
    assert.deepEqual(problems, []);
  });

  it("leaves out a provider whose variables are wrong, saying which and why, and keeps the others", () => {
    const { config, problems } = alertConfigFromEnv({
      GOTIFY_URL: "http://gotify.lan",
      GOTIFY_TOKEN: "tok",
      NTFY_URL: "https://ntfy.sh",
      WEBHOOK_URL: "https://hooks.example/argus",
    });
    assert.deepEqual(
      config.providers.map((p) => p.type),
      ["webhook"],
    );
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? "", /^GOTIFY_URL and GOTIFY_TOKEN: url must be an https:\/\/ URL/);
    assert.match(problems[1] ?? "", /^NTFY_URL and NTFY_TOPIC: topic /);
  });
});
