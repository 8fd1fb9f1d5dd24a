import { strict as assert } from "node:assert";
import { CorsPolicy, DEFAULT_ALLOWED_ORIGINS, normalizeOrigin } from "../../src/api/cors";
import { parseAppEnv } from "../../src/api/app-env";
import { ConfigError } from "../../src/model/config-error";

describe("api CorsPolicy.parse", () => {
  it("defaults to the two local development origins", () => {
    assert.equal(DEFAULT_ALLOWED_ORIGINS, "http://localhost:3000,http://localhost:5173");
    for (const blank of [undefined, "", "  "]) {
      const policy = CorsPolicy.parse(blank, "production");
      assert.equal(policy.allows("http://localhost:3000"), true);
      assert.equal(policy.allows("http://localhost:5173"), true);
      assert.equal(policy.allows("http://localhost:8080"), false);
      assert.equal(policy.allowAny, false);
    }
  });

  it("allows exactly the listed origins", () => {
    const policy = CorsPolicy.parse(" https://argus.example.com , http://10.0.0.5:8080/ ", "production");
    assert.equal(policy.allows("https://argus.example.com"), true);
    assert.equal(policy.allows("http://10.0.0.5:8080"), true, "a trailing slash in the setting is tolerated");
    assert.equal(policy.allows("https://argus.example.com.evil.test"), false);
    assert.equal(policy.allows("http://argus.example.com"), false, "scheme matters");
    assert.equal(policy.allows("null"), false);
    assert.equal(policy.allows(undefined), false);
    assert.equal(policy.allows(""), false);
  });

  it("refuses `*` when APP_ENV=production, with a ConfigError on allowed_origins", () => {
    for (const value of ["*", "https://a.example, *"]) {
      assert.throws(
        () => CorsPolicy.parse(value, "production"),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.issues[0]?.path === "allowed_origins" &&
          /production/.test(error.message),
      );
    }
  });

  it("allows `*` outside production", () => {
    for (const env of ["development", "other"] as const) {
      const policy = CorsPolicy.parse("*", env);
      assert.equal(policy.allowAny, true);
      assert.equal(policy.allows("https://anything.example"), true);
    }
  });

  it("refuses entries that are not a bare http(s) origin", () => {
    for (const bad of [
      "argus.example.com",
      "ftp://x.example",
      "https://x.example/path",
      "https://u:p@x.example",
      "https://x.example?q=1",
    ]) {
      assert.throws(() => CorsPolicy.parse(bad, "other"), ConfigError, bad);
    }
  });
});

describe("api normalizeOrigin", () => {
  it("gives the origin a browser sends", () => {
    assert.equal(normalizeOrigin("HTTPS://Argus.Example.COM:443"), "https://argus.example.com");
    assert.equal(normalizeOrigin("http://localhost:3000"), "http://localhost:3000");
    assert.equal(normalizeOrigin("not a url"), null);
  });
});

describe("api parseAppEnv", () => {
  it("knows production and development, in any case; anything else is other", () => {
    assert.equal(parseAppEnv("production"), "production");
    assert.equal(parseAppEnv(" Production "), "production");
    assert.equal(parseAppEnv("DEVELOPMENT"), "development");
    assert.equal(parseAppEnv("staging"), "other");
    assert.equal(parseAppEnv(undefined), "other");
  });
});
