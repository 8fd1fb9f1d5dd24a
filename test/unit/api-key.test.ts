import { strict as assert } from "node:assert";
import {
  API_KEY_SUGGESTION,
  ApiKeyCheck,
  ApiKeyTooShortError,
  assertNoKeyInQuery,
  countHeader,
  resolveApiKey,
  timingSafeKeyEqual,
} from "../../src/api/api-key";
import { ApiError } from "../../src/api/api-error";

const KEY = "0123456789abcdef0123456789abcdef"; // exactly 32 characters

function request(rawHeaders: string[]): { headers: Record<string, string>; rawHeaders: string[] } {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? "").toLowerCase();
    const value = rawHeaders[i + 1] ?? "";
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value; // as Node merges them
  }
  return { headers, rawHeaders };
}

const production = { clientAddress: "203.0.113.9", appEnv: "production" } as const;

function failure(result: ReturnType<ApiKeyCheck["check"]>): { status: number; code: string; counts: boolean } {
  assert.equal(result.ok, false);
  if (result.ok) throw new Error("unreachable");
  return { status: result.error.status, code: result.error.code, counts: result.countsAsFailure };
}

describe("api ApiKeyCheck", () => {
  it("refuses a key under 32 characters with the exact message and the suggestion", () => {
    assert.throws(
      () => new ApiKeyCheck(KEY.slice(1)),
      (error: unknown) => {
        assert.ok(error instanceof ApiKeyTooShortError);
        assert.equal(error.message, "ERROR: API_KEY must be at least 32 characters long");
        assert.equal(error.code, "API_KEY_TOO_SHORT");
        assert.equal(error.suggestion, API_KEY_SUGGESTION);
        assert.ok(
          error.suggestion.includes(`node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`),
        );
        assert.ok(error.suggestion.includes("openssl rand -base64 32"));
        assert.ok(error.suggestion.includes(`python3 -c "import secrets; print(secrets.token_urlsafe(32))"`));
        return true;
      },
    );
  });

  it("counts characters, not UTF-16 units", () => {
    assert.throws(() => new ApiKeyCheck("🔑".repeat(16)), ApiKeyTooShortError, "16 characters, 32 UTF-16 units");
    assert.doesNotThrow(() => new ApiKeyCheck("🔑".repeat(32)));
  });

  it("accepts the right key and gives the limiter a digest, never the key", () => {
    const result = new ApiKeyCheck(KEY).check(request(["X-Api-Key", KEY]), production);
    assert.ok(result.ok);
    if (!result.ok) return;
    assert.match(result.limiterKey, /^[0-9a-f]{64}$/);
    assert.ok(!result.limiterKey.includes(KEY));
  });

  it("missing header: 401 API_KEY_MISSING, not counted as a failed attempt", () => {
    const check = new ApiKeyCheck(KEY);
    assert.deepEqual(failure(check.check(request([]), production)), {
      status: 401,
      code: "API_KEY_MISSING",
      counts: false,
    });
    assert.deepEqual(failure(check.check(request(["X-Api-Key", "  "]), production)), {
      status: 401,
      code: "API_KEY_MISSING",
      counts: false,
    });
  });

  it("wrong key: 403 API_KEY_INVALID, counted", () => {
    const check = new ApiKeyCheck(KEY);
    for (const wrong of ["x", KEY.slice(0, -1), `${KEY}0`, KEY.toUpperCase(), "k".repeat(5000)]) {
      assert.deepEqual(failure(check.check(request(["X-Api-Key", wrong]), production)), {
        status: 403,
        code: "API_KEY_INVALID",
        counts: true,
      });
    }
  });

  it("two X-Api-Key headers (any case), even both right: 400 API_KEY_DUPLICATE, counted", () => {
    const check = new ApiKeyCheck(KEY);
    assert.deepEqual(failure(check.check(request(["X-Api-Key", KEY, "x-api-key", KEY]), production)), {
      status: 400,
      code: "API_KEY_DUPLICATE",
      counts: true,
    });
  });

  it("no key configured: 403 API_KEY_NOT_CONFIGURED saying how to set one, whatever is sent", () => {
    const check = new ApiKeyCheck(undefined);
    assert.equal(check.configured, false);
    const result = check.check(request(["X-Api-Key", KEY]), production);
    assert.deepEqual(failure(result), { status: 403, code: "API_KEY_NOT_CONFIGURED", counts: false });
    if (!result.ok) {
      assert.match(result.error.message, /API_KEY environment variable/);
      assert.match(result.error.message, /argus-server node/);
      assert.match(result.error.message, /32 characters/);
    }
  });

  it("no key configured, APP_ENV=development: loopback clients only", () => {
    const check = new ApiKeyCheck(undefined);
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) {
      assert.ok(check.check(request([]), { clientAddress: address, appEnv: "development" }).ok, address);
    }
    for (const address of ["192.168.1.2", "10.0.0.1", "::2", "203.0.113.1"]) {
      const result = check.check(request([]), { clientAddress: address, appEnv: "development" });
      assert.deepEqual(failure(result), { status: 403, code: "API_KEY_NOT_CONFIGURED", counts: false }, address);
    }
    assert.ok(!check.check(request([]), { clientAddress: "127.0.0.1", appEnv: "other" }).ok, "only development");
  });

  it("a configured key is required even in development from loopback", () => {
    const check = new ApiKeyCheck(KEY);
    assert.equal(failure(check.check(request([]), { clientAddress: "127.0.0.1", appEnv: "development" })).status, 401);
  });
});

describe("api timingSafeKeyEqual", () => {
  it("compares over fixed-length digests: any lengths, never throws", () => {
    assert.equal(timingSafeKeyEqual(KEY, KEY), true);
    assert.equal(timingSafeKeyEqual(KEY, ""), false);
    assert.equal(timingSafeKeyEqual("", KEY), false);
    assert.equal(timingSafeKeyEqual(KEY, KEY.slice(0, 31)), false);
    assert.equal(timingSafeKeyEqual(KEY, KEY + KEY), false);
    assert.equal(timingSafeKeyEqual(KEY, "x".repeat(100_000)), false);
    assert.equal(timingSafeKeyEqual("ü".repeat(40), "ü".repeat(40)), true);
  });
});

describe("api resolveApiKey", () => {
  it("prefers the node's credential, else API_KEY; blank is unset", () => {
    assert.equal(resolveApiKey("node-key", "env-key"), "node-key");
    assert.equal(resolveApiKey("", "env-key"), "env-key");
    assert.equal(resolveApiKey("   ", " env-key\n"), "env-key");
    assert.equal(resolveApiKey(undefined, undefined), undefined);
    assert.equal(resolveApiKey("", ""), undefined);
  });
});

describe("api assertNoKeyInQuery", () => {
  for (const name of ["api_key", "apikey", "key", "X-Api-Key", "API_KEY", "x-api-key"]) {
    it(`refuses ?${name}= with 400 API_KEY_IN_QUERY`, () => {
      assert.throws(
        () => assertNoKeyInQuery(["limit", name]),
        (error: unknown) => error instanceof ApiError && error.status === 400 && error.code === "API_KEY_IN_QUERY",
      );
    });
  }

  it("lets other names through", () => {
    assert.doesNotThrow(() => assertNoKeyInQuery(["device_id", "limit", "keys", "monkey"]));
  });
});

describe("api countHeader", () => {
  it("counts raw header names case-insensitively, never values", () => {
    assert.equal(countHeader(["X-Api-Key", "a", "x-API-key", "b", "Host", "x-api-key"], "x-api-key"), 2);
  });
});
