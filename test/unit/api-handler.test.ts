// The API handler behind a real HTTP server on 127.0.0.1: fetch for ordinary requests, raw sockets for what
// fetch cannot send (a Content-Length with no body, an endless chunked body, two X-Api-Key headers).
import { strict as assert } from "node:assert";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { type AddressInfo, type Socket, connect } from "node:net";
import { ApiError } from "../../src/api/api-error";
import { API_KEY_SUGGESTION } from "../../src/api/api-key";
import { createApiHandler } from "../../src/api/handler";
import type { ApiRoute } from "../../src/api/router";
import { SECURITY_HEADERS } from "../../src/api/security-headers";
import { type ApiServerState, type ApiSettings, createApiServerState } from "../../src/api/server-state";
import { ConfigError } from "../../src/model/config-error";

const KEY = "test-key-0123456789-abcdefghijklmnop"; // 36 characters
const OTHER_KEY = "other-key-0123456789-abcdefghijklmn";
const MB = 1_048_576;

const routes: ApiRoute[] = [
  {
    method: "GET",
    path: "/api/health",
    protected: false,
    handle: async (ctx) => ({ status: 200, body: { status: "ok", request_id: ctx.requestId } }),
  },
  {
    method: "GET",
    path: "/api/query",
    protected: false,
    handle: async (ctx) => ({
      status: 200,
      body: { query: { ...ctx.query }, null_prototype: Object.getPrototypeOf(ctx.query) === null },
    }),
  },
  {
    method: "GET",
    path: "/api/devices/:id",
    protected: false,
    handle: async (ctx) => ({ status: 200, body: { id: ctx.params.id } }),
  },
  {
    method: "DELETE",
    path: "/api/devices/:id",
    protected: true,
    handle: async () => ({ status: 204, body: { x: 1 } }),
  },
  {
    method: "POST",
    path: "/api/devices",
    protected: true,
    handle: async (ctx) => ({ status: 201, body: ctx.body, location: "/api/devices/ups-1" }),
  },
  {
    method: "POST",
    path: "/api/trigger",
    protected: true,
    body: "optional",
    handle: async (ctx) => ({ status: 202, body: { received: ctx.body ?? null, client: ctx.clientAddress } }),
  },
  { method: "PUT", path: "/api/config", protected: true, handle: async (ctx) => ({ status: 200, body: ctx.body }) },
  {
    method: "GET",
    path: "/api/boom",
    protected: false,
    handle: async () => {
      throw new Error("hunter2 leaked from /srv/argus/secret.ts:12");
    },
  },
  {
    method: "GET",
    path: "/api/headers",
    protected: false,
    handle: async () => ({
      status: 200,
      body: { ok: true },
      headers: {
        "X-Frame-Options": "ALLOWALL",
        "cache-control": "max-age=3600",
        "Content-Type": "text/html",
        "X-Custom": "1",
      },
    }),
  },
  {
    method: "GET",
    path: "/api/conflict",
    protected: false,
    handle: async () => {
      throw new ApiError(409, "CONFLICT", "device exists", { details: { id: "ups-1" } });
    },
  },
  {
    method: "GET",
    path: "/api/invalid",
    protected: false,
    handle: async () => {
      throw new ConfigError([{ path: "poll_interval_s", message: "too small" }]);
    },
  },
];

function makeState(settings: Partial<ApiSettings> = {}): ApiServerState {
  return createApiServerState({ routes, apiKey: KEY, trustProxy: false, env: {}, ...settings });
}

interface Reply {
  status: number;
  /** Lowercase names. */
  headers: Record<string, string>;
  body: string;
}

// ---- the server under test -------------------------------------------------------------------------------

let current: ApiServerState | null = null;
let resolveImpl: () => ApiServerState | null = () => current;
let clockMs = 0;
const reported: Array<{ error: unknown; requestId: string }> = [];
const serverSockets: Socket[] = [];

function startServer(basePath: string, rewrite?: (req: IncomingMessage) => void): Promise<Server> {
  const handle = createApiHandler({
    basePath,
    resolve: () => resolveImpl(),
    now: () => clockMs,
    onError: (error, request) => reported.push({ error, requestId: request.requestId }),
  });
  // What a mount does: our paths are answered, anything else is passed on (here: a 418 marks "passed on").
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    rewrite?.(req);
    if (!handle(req, res)) {
      res.statusCode = 418;
      res.end("passed on");
    }
  });
  server.on("connection", (socket) => serverSockets.push(socket));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

describe("api handler over HTTP", () => {
  let server: Server;
  let base: string;

  before(async () => {
    server = await startServer("");
    base = `http://127.0.0.1:${portOf(server)}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  beforeEach(() => {
    current = makeState();
    resolveImpl = () => current;
    clockMs = 0;
    reported.length = 0;
  });

  // ---- clients ------------------------------------------------------------------------------------------------

  async function call(path: string, init: RequestInit = {}): Promise<Reply> {
    const response = await fetch(`${base}${path}`, init);
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    return { status: response.status, headers, body: await response.text() };
  }

  function withKey(key: string, init: RequestInit = {}): RequestInit {
    return { ...init, headers: { ...(init.headers as Record<string, string>), "X-Api-Key": key } };
  }

  function jsonWrite(method: string, body: string, headers: Record<string, string> = {}): RequestInit {
    return { method, body, headers: { "Content-Type": "application/json", "X-Api-Key": KEY, ...headers } };
  }

  /** Sends `head` (and then `pump`'s writes, if any) over a raw socket and collects everything until it closes. */
  function raw(head: string, pump?: (socket: Socket) => void): Promise<Reply & { raw: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect(portOf(server), "127.0.0.1");
      const received: Buffer[] = [];
      socket.on("data", (data: Buffer) => received.push(data));
      // The server may close while we still write (that is the point of a cut-off): not a test failure.
      socket.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
      });
      socket.on("close", () => {
        const text = Buffer.concat(received).toString("utf8");
        const [headText = "", ...rest] = text.split("\r\n\r\n");
        const [statusLine = "", ...headerLines] = headText.split("\r\n");
        const headers: Record<string, string> = {};
        for (const line of headerLines) {
          const colon = line.indexOf(":");
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        resolve({ status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n"), raw: text });
      });
      socket.write(head);
      pump?.(socket);
    });
  }

  // ---- assertions ---------------------------------------------------------------------------------------------

  function assertSecurityHeaders(reply: Reply): void {
    assert.equal(reply.headers["x-content-type-options"], "nosniff");
    assert.equal(reply.headers["x-frame-options"], "DENY");
    assert.equal(reply.headers["referrer-policy"], "strict-origin-when-cross-origin");
    assert.equal(reply.headers["permissions-policy"], "geolocation=(), microphone=(), camera=()");
    assert.equal(
      reply.headers["content-security-policy"],
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    );
    assert.equal(reply.headers["cache-control"], "no-store");
  }

  /** Exact status, exact code, the JSON error shape and its content type, the security headers. */
  function assertError(
    reply: Reply,
    status: number,
    code: string,
  ): { code: string; message: string; details?: unknown } {
    assert.equal(reply.status, status, `status of ${reply.body}`);
    assert.equal(reply.headers["content-type"], "application/json; charset=utf-8");
    const parsed = JSON.parse(reply.body) as { error: { code: string; message: string; details?: unknown } };
    assert.equal(parsed.error.code, code);
    assert.equal(typeof parsed.error.message, "string");
    assert.deepEqual(Object.keys(parsed), ["error"]);
    assert.ok(!/\bat .+:\d+:\d+/.test(reply.body), "no stack trace");
    assertSecurityHeaders(reply);
    return parsed.error;
  }

  function json<T>(reply: Reply): T {
    assert.equal(reply.headers["content-type"], "application/json; charset=utf-8");
    return JSON.parse(reply.body) as T;
  }

  // ---- tests --------------------------------------------------------------------------------------------------

  describe("api handler: security headers", () => {
    it("are on 200, 404, 405, 413, 429, 401, 403, 500 and 503 answers", async () => {
      current = makeState({ rateLimitPerMinute: 1 });
      const ok = await call("/api/health");
      assert.equal(ok.status, 200);
      assertSecurityHeaders(ok);
      assertError(await call("/api/nope"), 404, "NOT_FOUND");
      assertError(await call("/api/health", { method: "POST" }), 405, "METHOD_NOT_ALLOWED");
      const tooLarge = await raw(
        "PUT /api/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n",
      );
      assertError(tooLarge, 413, "PAYLOAD_TOO_LARGE");
      assertError(await call("/api/trigger", { method: "POST" }), 401, "API_KEY_MISSING");
      assertError(await call("/api/trigger", withKey(OTHER_KEY, { method: "POST" })), 403, "API_KEY_INVALID");
      assert.equal((await call("/api/trigger", withKey(KEY, { method: "POST" }))).status, 202);
      assertError(await call("/api/trigger", withKey(KEY, { method: "POST" })), 429, "RATE_LIMITED");
      assertError(await call("/api/boom"), 500, "INTERNAL");
      current = null;
      assertError(await call("/api/health"), 503, "UNAVAILABLE");
    });

    it("cannot be overridden by a route, nor can the content type; other route headers pass", async () => {
      const reply = await call("/api/headers");
      assertSecurityHeaders(reply);
      assert.equal(reply.headers["content-type"], "application/json; charset=utf-8");
      assert.equal(reply.headers["x-custom"], "1");
      assert.equal(Object.keys(SECURITY_HEADERS).length, 6, "five of api.md plus Cache-Control");
    });

    it("tags every answer with a request id that the route sees too", async () => {
      const reply = await call("/api/health");
      assert.match(reply.headers["x-request-id"] ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(json<{ request_id: string }>(reply).request_id, reply.headers["x-request-id"]);
      assert.match((await call("/api/nope")).headers["x-request-id"] ?? "", /^[0-9a-f-]{36}$/);
    });
  });

  describe("api handler: CORS", () => {
    it("echoes an allowed origin exactly, with Vary: Origin", async () => {
      const reply = await call("/api/health", { headers: { Origin: "http://localhost:5173" } });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers["access-control-allow-origin"], "http://localhost:5173");
      assert.equal(reply.headers.vary, "Origin");
      assert.match(reply.headers["access-control-expose-headers"] ?? "", /Retry-After/);
    });

    it("gives a disallowed origin no CORS headers at all", async () => {
      const reply = await call("/api/health", { headers: { Origin: "https://evil.example" } });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers["access-control-allow-origin"], undefined);
      assert.equal(reply.headers["access-control-expose-headers"], undefined);
      assert.equal(reply.headers.vary, "Origin");
    });

    it("answers a preflight from an allowed origin itself: 204, methods, X-Api-Key and Content-Type, Max-Age", async () => {
      current = makeState({ allowedOrigins: "https://argus.example.com" });
      const reply = await call("/api/config", {
        method: "OPTIONS",
        headers: {
          Origin: "https://argus.example.com",
          "Access-Control-Request-Method": "PUT",
          "Access-Control-Request-Headers": "content-type, x-api-key",
        },
      });
      assert.equal(reply.status, 204);
      assert.equal(reply.body, "");
      assert.equal(reply.headers["access-control-allow-origin"], "https://argus.example.com");
      const methods = (reply.headers["access-control-allow-methods"] ?? "").split(", ");
      for (const method of ["GET", "POST", "PUT", "DELETE"]) assert.ok(methods.includes(method), method);
      const allowed = (reply.headers["access-control-allow-headers"] ?? "").toLowerCase();
      assert.ok(allowed.includes("x-api-key") && allowed.includes("content-type"));
      assert.equal(reply.headers["access-control-max-age"], "600");
      assertSecurityHeaders(reply);
    });

    it("refuses a preflight from a disallowed origin with 403 CORS_ORIGIN_NOT_ALLOWED", async () => {
      const reply = await call("/api/config", {
        method: "OPTIONS",
        headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "PUT" },
      });
      assertError(reply, 403, "CORS_ORIGIN_NOT_ALLOWED");
      assert.equal(reply.headers["access-control-allow-origin"], undefined);
    });

    it("takes ALLOWED_ORIGINS from the environment, and the node's field over it", async () => {
      current = makeState({ env: { ALLOWED_ORIGINS: "https://env.example" } });
      const fromEnv = await call("/api/health", { headers: { Origin: "https://env.example" } });
      assert.equal(fromEnv.headers["access-control-allow-origin"], "https://env.example");
      const notDefault = await call("/api/health", { headers: { Origin: "http://localhost:3000" } });
      assert.equal(notDefault.headers["access-control-allow-origin"], undefined, "the list replaces the default");
      current = makeState({ allowedOrigins: "https://node.example", env: { ALLOWED_ORIGINS: "https://env.example" } });
      const envLoses = await call("/api/health", { headers: { Origin: "https://env.example" } });
      assert.equal(envLoses.headers["access-control-allow-origin"], undefined);
    });

    it("refuses `*` when APP_ENV=production (ConfigError), allows it otherwise", async () => {
      for (const settings of [
        { allowedOrigins: "*", appEnv: "production" },
        { env: { ALLOWED_ORIGINS: "*", APP_ENV: "production" } },
      ]) {
        assert.throws(
          () => makeState(settings),
          (error: unknown) => error instanceof ConfigError && error.issues[0]?.path === "allowed_origins",
        );
      }
      current = makeState({ allowedOrigins: "*", appEnv: "development" });
      const reply = await call("/api/health", { headers: { Origin: "https://anything.example" } });
      assert.equal(reply.headers["access-control-allow-origin"], "*");
    });

    it("answers a plain OPTIONS (no preflight) with 204 and Allow", async () => {
      const reply = await call("/api/devices/ups-1", { method: "OPTIONS" });
      assert.equal(reply.status, 204);
      assert.equal(reply.headers.allow, "GET, DELETE, HEAD, OPTIONS");
      assertSecurityHeaders(reply);
    });
  });

  describe("api handler: API key", () => {
    it("accepts the right key on a protected route", async () => {
      const reply = await call("/api/trigger", withKey(KEY, { method: "POST" }));
      assert.equal(reply.status, 202);
      assert.deepEqual(json(reply), { received: null, client: "127.0.0.1" });
    });

    it("401 API_KEY_MISSING without the header", async () => {
      const reply = await call("/api/trigger", { method: "POST" });
      assertError(reply, 401, "API_KEY_MISSING");
      assert.ok(reply.headers["www-authenticate"]);
    });

    it("403 API_KEY_INVALID for a wrong key of any length", async () => {
      for (const key of [OTHER_KEY, "x", `${KEY}x`, KEY.slice(0, -1)]) {
        assertError(await call("/api/trigger", withKey(key, { method: "POST" })), 403, "API_KEY_INVALID");
        clockMs += 60_000; // keep the failed-attempt limiter out of this test
      }
    });

    it("400 API_KEY_DUPLICATE for two X-Api-Key headers, even when both are right", async () => {
      const reply = await raw(
        `POST /api/trigger HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${KEY}\r\nx-api-key: ${KEY}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      assertError(reply, 400, "API_KEY_DUPLICATE");
    });

    it("never accepts a key in the query string: 400 API_KEY_IN_QUERY, on every route", async () => {
      for (const name of ["api_key", "apikey", "key", "X-Api-Key"]) {
        assertError(await call(`/api/trigger?${name}=${KEY}`, { method: "POST" }), 400, "API_KEY_IN_QUERY");
        assertError(
          await call(`/api/trigger?${name}=${KEY}`, withKey(KEY, { method: "POST" })),
          400,
          "API_KEY_IN_QUERY",
        );
        assertError(await call(`/api/health?${name}=${KEY}`), 400, "API_KEY_IN_QUERY");
      }
    });

    it("with no key configured: 403 API_KEY_NOT_CONFIGURED saying how to set one; public routes still work", async () => {
      current = makeState({ apiKey: undefined });
      const error = assertError(
        await call("/api/trigger", withKey(KEY, { method: "POST" })),
        403,
        "API_KEY_NOT_CONFIGURED",
      );
      assert.match(error.message, /API_KEY environment variable/);
      assert.match(error.message, /argus-server node/);
      assert.equal((await call("/api/health")).status, 200);
    });

    it("APP_ENV=development allows loopback clients without a key, and only them", async () => {
      current = makeState({ apiKey: undefined, appEnv: "development" });
      assert.equal((await call("/api/trigger", { method: "POST" })).status, 202, "from 127.0.0.1");
      // Behind a trusted proxy the client is the forwarded address, not the proxy's loopback socket.
      current = makeState({ apiKey: undefined, appEnv: "development", trustProxy: true });
      const proxied = await call("/api/trigger", { method: "POST", headers: { "X-Forwarded-For": "203.0.113.7" } });
      assertError(proxied, 403, "API_KEY_NOT_CONFIGURED");
      current = makeState({ apiKey: undefined, env: { APP_ENV: "production" } });
      assertError(await call("/api/trigger", { method: "POST" }), 403, "API_KEY_NOT_CONFIGURED");
    });

    it("takes API_KEY from the environment, and the node's credential over it", async () => {
      current = makeState({ apiKey: undefined, env: { API_KEY: OTHER_KEY } });
      assert.equal((await call("/api/trigger", withKey(OTHER_KEY, { method: "POST" }))).status, 202);
      current = makeState({ apiKey: KEY, env: { API_KEY: OTHER_KEY } });
      assertError(await call("/api/trigger", withKey(OTHER_KEY, { method: "POST" })), 403, "API_KEY_INVALID");
    });

    it("a key under 32 characters: the exact error with suggestions, and 503 UNAVAILABLE on every route", async () => {
      const state = makeState({ apiKey: "too-short" });
      assert.equal(state.keyError?.message, "ERROR: API_KEY must be at least 32 characters long");
      assert.equal(state.keyError?.suggestion, API_KEY_SUGGESTION);
      current = state;
      assertError(await call("/api/health"), 503, "UNAVAILABLE");
      assertError(await call("/api/trigger", withKey("too-short", { method: "POST" })), 503, "UNAVAILABLE");
      assertError(await call("/api/nope"), 503, "UNAVAILABLE");
      const preflight = await call("/api/config", {
        method: "OPTIONS",
        headers: { Origin: "http://localhost:3000", "Access-Control-Request-Method": "PUT" },
      });
      assertError(preflight, 503, "UNAVAILABLE");
      current = makeState({ apiKey: undefined, env: { API_KEY: "short-from-env" } });
      assertError(await call("/api/health"), 503, "UNAVAILABLE");
    });
  });

  describe("api handler: rate limit per key", () => {
    it("429 RATE_LIMITED with Retry-After in whole seconds, and a slot frees as the window slides", async () => {
      current = makeState({ env: { RATE_LIMIT_PER_MINUTE: "3" } });
      const trigger = (): Promise<Reply> => call("/api/trigger", withKey(KEY, { method: "POST" }));
      for (const at of [0, 10_000, 20_000]) {
        clockMs = at;
        assert.equal((await trigger()).status, 202, `at ${at}`);
      }
      clockMs = 30_000;
      const limited = await trigger();
      const error = assertError(limited, 429, "RATE_LIMITED");
      assert.equal(limited.headers["retry-after"], "30");
      assert.deepEqual(error.details, { retry_after_s: 30 });
      clockMs = 59_500;
      assert.equal((await trigger()).headers["retry-after"], "1", "rounded up, never 0");
      clockMs = 60_000;
      assert.equal((await trigger()).status, 202, "the hit at 0 slid out of the window");
      clockMs = 60_001;
      const again = await trigger();
      assertError(again, 429, "RATE_LIMITED");
      assert.match(again.headers["retry-after"] ?? "", /^\d+$/);
      assert.equal(again.headers["retry-after"], "10");
    });

    it("the node's setting wins over RATE_LIMIT_PER_MINUTE; public routes and refused keys are not counted", async () => {
      current = makeState({ rateLimitPerMinute: 1, env: { RATE_LIMIT_PER_MINUTE: "100" } });
      for (let i = 0; i < 5; i++) assert.equal((await call("/api/health")).status, 200);
      assertError(await call("/api/trigger", withKey(OTHER_KEY, { method: "POST" })), 403, "API_KEY_INVALID");
      assert.equal((await call("/api/trigger", withKey(KEY, { method: "POST" }))).status, 202);
      assertError(await call("/api/trigger", withKey(KEY, { method: "POST" })), 429, "RATE_LIMITED");
    });

    it("refuses a malformed RATE_LIMIT_PER_MINUTE with a ConfigError", () => {
      assert.throws(() => makeState({ env: { RATE_LIMIT_PER_MINUTE: "lots" } }), ConfigError);
    });
  });

  describe("api handler: failed-attempt limiter", () => {
    const wrong = (headers: Record<string, string> = {}): Promise<Reply> =>
      call("/api/trigger", { method: "POST", headers: { "X-Api-Key": OTHER_KEY, ...headers } });
    const right = (headers: Record<string, string> = {}): Promise<Reply> =>
      call("/api/trigger", { method: "POST", headers: { "X-Api-Key": KEY, ...headers } });

    it("after too many wrong keys, refuses the address with 429 before comparing, even the right key", async () => {
      current = makeState({ failedAttemptsPerMinute: 3 });
      for (let i = 0; i < 3; i++) assertError(await wrong(), 403, "API_KEY_INVALID");
      const blocked = await right();
      assertError(blocked, 429, "TOO_MANY_FAILED_ATTEMPTS");
      assert.equal(blocked.headers["retry-after"], "60");
      assert.equal((await call("/api/health")).status, 200, "public routes are not affected");
      clockMs = 60_000;
      assert.equal((await right()).status, 202, "the failures slid out of the window");
    });

    it("counts failures only: missing keys and successes do not use up the budget", async () => {
      current = makeState({ failedAttemptsPerMinute: 2 });
      for (let i = 0; i < 5; i++) assertError(await call("/api/trigger", { method: "POST" }), 401, "API_KEY_MISSING");
      for (let i = 0; i < 5; i++) assert.equal((await right()).status, 202);
      assertError(await wrong(), 403, "API_KEY_INVALID");
      assert.equal((await right()).status, 202);
    });

    it("with trustProxy, counts per last X-Forwarded-For address; spoofed entries to its left do not help", async () => {
      current = makeState({ failedAttemptsPerMinute: 3, trustProxy: true });
      for (const spoof of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) {
        assertError(await wrong({ "X-Forwarded-For": `${spoof}, 203.0.113.5` }), 403, "API_KEY_INVALID");
      }
      assertError(await right({ "X-Forwarded-For": "203.0.113.5" }), 429, "TOO_MANY_FAILED_ATTEMPTS");
      assertError(await right({ "X-Forwarded-For": "203.0.113.6, 203.0.113.5" }), 429, "TOO_MANY_FAILED_ATTEMPTS");
      const other = await right({ "X-Forwarded-For": "203.0.113.6" });
      assert.equal(other.status, 202, "another client is not blocked");
      assert.equal(json<{ client: string }>(other).client, "203.0.113.6");
    });

    it("without trustProxy, ignores X-Forwarded-For: every attempt counts against the socket address", async () => {
      current = makeState({ failedAttemptsPerMinute: 3, trustProxy: false });
      for (const forged of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) {
        assertError(await wrong({ "X-Forwarded-For": forged }), 403, "API_KEY_INVALID");
      }
      assertError(await right({ "X-Forwarded-For": "198.51.100.4" }), 429, "TOO_MANY_FAILED_ATTEMPTS");
    });
  });

  describe("api handler: request bodies", () => {
    it("passes a JSON body to the route", async () => {
      const reply = await call("/api/config", jsonWrite("PUT", '{"poll_interval_s": 10}'));
      assert.equal(reply.status, 200);
      assert.deepEqual(json(reply), { poll_interval_s: 10 });
      const charset = await call(
        "/api/config",
        jsonWrite("PUT", "[1]", { "Content-Type": "application/json; charset=utf-8" }),
      );
      assert.equal(charset.status, 200);
    });

    it("400 INVALID_JSON for malformed JSON, without echoing it", async () => {
      const reply = await call("/api/config", jsonWrite("PUT", '{"marker-4711": tru'));
      const error = assertError(reply, 400, "INVALID_JSON");
      assert.ok(!reply.body.includes("marker-4711"));
      assert.ok(!error.message.includes("tru"));
    });

    it("415 UNSUPPORTED_MEDIA_TYPE for a write that is not application/json", async () => {
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
        assertError(
          await call("/api/config", jsonWrite("PUT", "{}", { "Content-Type": type })),
          415,
          "UNSUPPORTED_MEDIA_TYPE",
        );
      }
    });

    it("400 BODY_REQUIRED for an empty body where one is required; an optional one may be absent", async () => {
      assertError(await call("/api/config", withKey(KEY, { method: "PUT" })), 400, "BODY_REQUIRED");
      assertError(await call("/api/config", jsonWrite("PUT", "")), 400, "BODY_REQUIRED");
      assert.deepEqual(json(await call("/api/trigger", withKey(KEY, { method: "POST" }))), {
        received: null,
        client: "127.0.0.1",
      });
      const withBody = await call("/api/trigger", jsonWrite("POST", '{"device_id":"ups-1"}'));
      assert.deepEqual(json(withBody), { received: { device_id: "ups-1" }, client: "127.0.0.1" });
    });

    it("400 JSON_TOO_DEEP past 32 levels, even for 100 000", async () => {
      const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);
      assert.equal((await call("/api/config", jsonWrite("PUT", nested(32)))).status, 200);
      assertError(await call("/api/config", jsonWrite("PUT", nested(33))), 400, "JSON_TOO_DEEP");
      assertError(await call("/api/config", jsonWrite("PUT", nested(100_000))), 400, "JSON_TOO_DEEP");
    });

    it("accepts a body of exactly 1 MB", async () => {
      const body = JSON.stringify("x".repeat(MB - 2));
      assert.equal(Buffer.byteLength(body), MB);
      const reply = await call("/api/config", jsonWrite("PUT", body));
      assert.equal(reply.status, 200);
    });

    it("413 from Content-Length: 2000000 before any body is sent, and closes the connection", async () => {
      const reply = await raw(
        `PUT /api/config HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n`,
      );
      const error = assertError(reply, 413, "PAYLOAD_TOO_LARGE");
      assert.deepEqual(error.details, { max_bytes: MB });
      assert.equal(reply.headers.connection, "close");
    });

    it("413 from Content-Length comes before the key check (no key sent)", async () => {
      const reply = await raw("POST /api/trigger HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
      assertError(reply, 413, "PAYLOAD_TOO_LARGE");
    });

    it("cuts a chunked body off past 1 MB: 413, connection closed, the rest never read", async () => {
      serverSockets.length = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const reply = await raw(
        `PUT /api/config HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        (socket) => {
          const pump = (): void => {
            while (sent < 8 * MB && socket.writable) {
              sent += chunk.length;
              if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`)) {
                socket.once("drain", pump);
                return;
              }
            }
            if (socket.writable) socket.end("0\r\n\r\n");
          };
          pump();
        },
      );
      assertError(reply, 413, "PAYLOAD_TOO_LARGE");
      assert.equal(reply.headers.connection, "close");
      const serverSide = serverSockets[0];
      assert.ok(serverSide);
      if (!serverSide.destroyed) await new Promise((resolve) => serverSide.once("close", resolve));
      assert.ok(serverSide.bytesRead < 2 * MB, `the server read ${serverSide.bytesRead} bytes of ${sent}`);
    });

    it("checks the key before reading the body", async () => {
      assertError(
        await call("/api/config", { method: "PUT", body: "not json", headers: { "Content-Type": "application/json" } }),
        401,
        "API_KEY_MISSING",
      );
    });
  });

  describe("api handler: routing", () => {
    it("404 NOT_FOUND for unknown paths below /api", async () => {
      for (const path of ["/api", "/api/", "/api/nope", "/api/health/extra", "/api/devices/a/b"]) {
        assertError(await call(path), 404, "NOT_FOUND");
      }
    });

    it("passes on paths outside its prefix (the mount calls next())", async () => {
      for (const path of ["/", "/apix", "/flows", "/API/health", "/argus/api/health"]) {
        const reply = await call(path);
        assert.equal(reply.status, 418, path);
        assert.equal(reply.headers["x-content-type-options"], undefined, "not touched");
      }
    });

    it("405 METHOD_NOT_ALLOWED with an Allow header", async () => {
      const reply = await call("/api/devices/ups-1", withKey(KEY, { method: "PUT", body: "{}" }));
      assertError(reply, 405, "METHOD_NOT_ALLOWED");
      assert.equal(reply.headers.allow, "GET, DELETE, HEAD, OPTIONS");
      const health = await call("/api/health", { method: "DELETE" });
      assertError(health, 405, "METHOD_NOT_ALLOWED");
      assert.equal(health.headers.allow, "GET, HEAD, OPTIONS");
    });

    it("decodes path parameters and refuses over-long or broken ones", async () => {
      assert.deepEqual(json(await call("/api/devices/ups%201")), { id: "ups 1" });
      assertError(await call(`/api/devices/${"a".repeat(300)}`), 400, "INVALID_PATH_PARAMETER");
      assertError(await call("/api/devices/%E0%A4%A"), 400, "INVALID_PATH_PARAMETER");
    });

    it("hands routes the query as plain strings only", async () => {
      const reply = await call("/api/query?device_id%5B%24ne%5D=x&limit=10&since=");
      assert.deepEqual(json(reply), {
        query: { "device_id[$ne]": "x", limit: "10", since: "" },
        null_prototype: true,
      });
    });

    it("400 DUPLICATE_QUERY_PARAMETER for a repeated parameter", async () => {
      const error = assertError(await call("/api/query?device_id=a&device_id=b"), 400, "DUPLICATE_QUERY_PARAMETER");
      assert.deepEqual(error.details, { parameter: "device_id" });
      assertError(await call("/api/query?limit=1&limit=1"), 400, "DUPLICATE_QUERY_PARAMETER");
    });

    it("answers HEAD like GET, without a body", async () => {
      const reply = await call("/api/health", { method: "HEAD" });
      assert.equal(reply.status, 200);
      assert.equal(reply.body, "");
      assertSecurityHeaders(reply);
    });

    it("serves below a base path, and only there", async () => {
      const other = await startServer("/argus/");
      try {
        const url = `http://127.0.0.1:${portOf(other)}`;
        assert.equal((await fetch(`${url}/argus/api/health`)).status, 200);
        assert.equal((await fetch(`${url}/argus/api/nope`)).status, 404);
        assert.equal((await fetch(`${url}/api/health`)).status, 418);
      } finally {
        other.closeAllConnections();
        other.close();
      }
    });

    it("uses Express's originalUrl when a mount path was stripped from req.url", async () => {
      const express = await startServer("/argus", (req) => {
        Object.assign(req, { originalUrl: req.url, url: (req.url ?? "").replace(/^\/argus/, "") });
      });
      try {
        const url = `http://127.0.0.1:${portOf(express)}`;
        assert.equal((await fetch(`${url}/argus/api/health`)).status, 200);
      } finally {
        express.closeAllConnections();
        express.close();
      }
    });

    it("refuses a malformed base path", () => {
      assert.throws(() => createApiHandler({ basePath: "/a b", resolve: () => null }), ConfigError);
      assert.throws(() => createApiHandler({ basePath: "/../x", resolve: () => null }), ConfigError);
    });
  });

  describe("api handler: answers and errors", () => {
    it("201 with a Location header", async () => {
      const reply = await call("/api/devices", jsonWrite("POST", '{"id":"ups-1"}'));
      assert.equal(reply.status, 201);
      assert.equal(reply.headers.location, "/api/devices/ups-1");
      assert.deepEqual(json(reply), { id: "ups-1" });
    });

    it("204 without a body or content type", async () => {
      const reply = await call("/api/devices/ups-1", withKey(KEY, { method: "DELETE" }));
      assert.equal(reply.status, 204);
      assert.equal(reply.body, "");
      assert.equal(reply.headers["content-type"], undefined);
      assertSecurityHeaders(reply);
    });

    it("a thrown ApiError keeps its status, code and details", async () => {
      const error = assertError(await call("/api/conflict"), 409, "CONFLICT");
      assert.deepEqual(error.details, { id: "ups-1" });
    });

    it("a thrown ConfigError is 422 VALIDATION_FAILED with the field paths", async () => {
      const error = assertError(await call("/api/invalid"), 422, "VALIDATION_FAILED");
      assert.deepEqual(error.details, { issues: [{ path: "poll_interval_s", message: "too small" }] });
    });

    it("anything else is a bare 500 INTERNAL that leaks nothing, reported to onError", async () => {
      const reply = await call("/api/boom");
      assertError(reply, 500, "INTERNAL");
      assert.equal(reply.body, '{"error":{"code":"INTERNAL","message":"internal error"}}');
      assert.ok(!reply.body.includes("hunter2") && !reply.body.includes("secret.ts"));
      assert.equal(reported.length, 1);
      assert.match(String(reported[0]?.error), /hunter2/);
      assert.equal(reported[0]?.requestId, reply.headers["x-request-id"]);
    });

    it("503 UNAVAILABLE on every route while no server is deployed", async () => {
      current = null;
      assertError(await call("/api/health"), 503, "UNAVAILABLE");
      assertError(await call("/api/trigger", withKey(KEY, { method: "POST" })), 503, "UNAVAILABLE");
      assertError(await call("/api/nope"), 503, "UNAVAILABLE");
      const preflight = await call("/api/config", {
        method: "OPTIONS",
        headers: { Origin: "http://localhost:3000", "Access-Control-Request-Method": "PUT" },
      });
      assertError(preflight, 503, "UNAVAILABLE");
    });

    it("500 INTERNAL if resolving the server throws", async () => {
      resolveImpl = () => {
        throw new Error("registry broken");
      };
      assertError(await call("/api/health"), 500, "INTERNAL");
      assert.equal(reported.length, 1);
    });
  });
});
