/**
 * The API contract of spec/api.md against a real Node-RED process (its real admin app, body parsers and cors(*))
 * with this package installed, an argus-nut node polling a real upsd, and the requests a client would send.
 */
import { strict as assert } from "node:assert";
import { SAMPLE_UPS_VARS, Upsd } from "../support/upsd";
import { NodeRedProcess } from "../support/node-red-process";
import { call, rawExchange, statusOf, type JsonResponse } from "../support/http";
import { serverFlow } from "../support/flows";
import { waitFor } from "../support/wait";

const KEY = "argus-contract-test-key-0123456789abcdef";
const NUT_PASSWORD = "nut-secret-password";
const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "strict-origin-when-cross-origin",
  "permissions-policy": "geolocation=(), microphone=(), camera=()",
};

function assertSecurityHeaders(headers: Headers | Record<string, string>, what: string): void {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers[name]);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(get(name), value, `${what}: ${name}`);
  assert.match(get("content-security-policy") ?? "", /^default-src 'self'; script-src 'self'/, `${what}: CSP`);
}

function assertError(response: JsonResponse, status: number, code: string): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body?.error?.code, code, response.text);
  assert.equal(typeof response.body.error.message, "string");
  assert.doesNotMatch(response.text, /at .*\.(js|ts):\d+/, "no stack trace");
}

function rawHeaders(raw: string): Record<string, string> {
  const head = raw.split("\r\n\r\n")[0] ?? "";
  return Object.fromEntries(
    head
      .split("\r\n")
      .slice(1)
      .map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
  );
}

function flow(upsd: Upsd, server: Record<string, unknown> = {}) {
  const nutCredentials = { username: upsd.users.monitor.username, password: NUT_PASSWORD };
  return serverFlow(upsd, { apiKey: KEY, server, nutCredentials });
}

describe("Argus API contract in a real Node-RED", function () {
  this.timeout(60_000);
  let upsd: Upsd;
  let red: NodeRedProcess;
  let base: string;

  const get = (path: string, headers?: Record<string, string>) => call(base, "GET", path, { headers });
  const send = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    call(base, method, path, { key: KEY, body, headers });

  before(async () => {
    upsd = await Upsd.start({ upses: [{ name: "rack", desc: "Rack", vars: SAMPLE_UPS_VARS }] });
    red = await NodeRedProcess.start();
    base = red.url;
    await red.deploy(flow(upsd));
    await waitFor(async () => (await get("/api/devices/rack-ups")).body?.online === true, { what: "UPS online" });
  });
  after(async () => {
    await red?.dispose();
    await upsd?.stop();
  });

  describe("public endpoints", () => {
    it("GET /api/health", async () => {
      // Snapshots reach the store's count once written, a moment after the device first shows online.
      await waitFor(async () => (await get("/api/health")).body?.store.snapshots >= 1, { what: "a stored snapshot" });
      const response = await get("/api/health");
      assert.equal(response.status, 200);
      assertSecurityHeaders(response.headers, "health");
      const { version, uptime_s, last_poll_at, ...rest } = response.body;
      assert.match(version, /^\d+\.\d+\.\d+/);
      assert.equal(typeof uptime_s, "number");
      assert.ok(Date.parse(last_poll_at));
      assert.equal(rest.status, "ok");
      assert.deepEqual(rest.devices, { total: 1, online: 1, offline: 0 });
      assert.equal(rest.store.ok, true);
      assert.ok(rest.store.snapshots >= 1);
    });

    it("GET /api/devices lists the flow device with live state and its password masked", async () => {
      const response = await get("/api/devices");
      assert.equal(response.status, 200);
      const [device] = response.body.items;
      assert.equal(device.id, "rack-ups");
      assert.equal(device.source, "flow");
      assert.equal(device.kind, "nut");
      assert.equal(device.online, true);
      assert.equal(device.last_status, "OL");
      assert.equal(device.nut.password, "********");
      assert.ok(!response.text.includes(NUT_PASSWORD));
    });

    it("GET /api/devices/{id}, and 404 for unknown ids, traversal and odd characters", async () => {
      assert.equal((await get("/api/devices/rack-ups")).body.id, "rack-ups");
      for (const id of ["nope", "..%2F..%2Fetc%2Fpasswd", "%00", "A-UPPER", "x".repeat(65), "%E2%98%83"]) {
        assertError(await get(`/api/devices/${id}`), 404, "NOT_FOUND");
      }
    });

    it("GET /api/snapshots/latest has the UPS's variables exactly as upsc reports them", async () => {
      const response = await get("/api/snapshots/latest");
      assert.equal(response.status, 200);
      const snapshot = response.body.items.find((s: { device_id: string }) => s.device_id === "rack-ups");
      assert.deepEqual(snapshot.vars, await upsd.upsc("rack"));
      assert.equal(snapshot.battery_charge_pct, 100);
      assert.equal(snapshot.power_w, 207);
    });

    it("GET /api/snapshots pages newest first with a cursor", async () => {
      await waitFor(async () => (await get("/api/snapshots?limit=3")).body.items.length === 3, { what: "3 snapshots" });
      const first = await get("/api/snapshots?device_id=rack-ups&limit=2");
      assert.equal(first.status, 200);
      assert.equal(first.body.items.length, 2);
      assert.ok(first.body.items[0].ts >= first.body.items[1].ts);
      const second = await get(`/api/snapshots?device_id=rack-ups&limit=2&cursor=${first.body.next_cursor}`);
      assert.ok(second.body.items[0].ts <= first.body.items[1].ts);
      const since = await get(`/api/snapshots?since=${Date.now() + 60_000}`);
      assert.deepEqual(since.body, { items: [], next_cursor: null });
    });

    it("GET /api/events, /api/energy, /api/config, /api/alerts, /api/trigger/status, /api/diagnostics", async () => {
      assert.deepEqual((await get("/api/events")).body, { items: [], next_cursor: null });
      const energy = await get("/api/energy?bucket=hour");
      assert.equal(energy.status, 200);
      assert.equal(typeof energy.body.total_kwh, "number");
      assert.ok(Array.isArray(energy.body.devices));
      const config = await get("/api/config");
      assert.deepEqual(Object.keys(config.body).sort(), [
        "max_snapshots",
        "poll_interval_s",
        "poll_on_startup",
        "retention_days",
        "scheduler_paused",
        "trust_proxy",
      ]);
      assert.equal((await get("/api/alerts")).body.failure_threshold, 3);
      const status = await get("/api/trigger/status");
      assert.equal(status.body.running, false);
      const diagnostics = await get("/api/diagnostics");
      const [diagnostic] = diagnostics.body.devices;
      assert.equal(diagnostic.device_id, "rack-ups");
      assert.equal(diagnostic.ok, true);
      assert.deepEqual(diagnostic.protocol, {
        kind: "nut",
        host: "127.0.0.1",
        port: upsd.port,
        ups: "rack",
        tls: "off",
      });
      assert.ok(!diagnostics.text.includes(NUT_PASSWORD));
    });

    it("GET /api/openapi.json describes the API from the zod schemas", async () => {
      const doc = (await get("/api/openapi.json")).body;
      assert.equal(doc.openapi, "3.1.0");
      assert.ok(doc.paths["/api/devices/{id}"].delete.security);
      assert.ok(doc.components.schemas.Snapshot.properties.battery_charge_pct);
    });
  });

  describe("keys", () => {
    it("401 without a key, 403 with a wrong one, 400 with the key in the query", async () => {
      assertError(await call(base, "POST", "/api/trigger"), 401, "API_KEY_MISSING");
      assertError(await call(base, "POST", "/api/trigger", { key: "x".repeat(40) }), 403, "API_KEY_INVALID");
      assertError(await call(base, "POST", `/api/trigger?api_key=${KEY}`), 400, "API_KEY_IN_QUERY");
    });

    it("refuses a request with two X-Api-Key headers", async () => {
      const raw = await rawExchange(
        red.port,
        `POST /api/trigger HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${KEY}\r\nX-Api-Key: ${KEY}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(statusOf(raw), 400);
      assert.match(raw, /"code":"API_KEY_DUPLICATE"/);
      assertSecurityHeaders(rawHeaders(raw), "duplicate key");
    });

    it("POST /api/trigger polls every device: 202, then the status reports it", async () => {
      const response = await send("POST", "/api/trigger");
      assert.equal(response.status, 202);
      assert.match(response.body.status, /^(started|already_running)$/);
      const status = await waitFor(async () => {
        const body = (await get("/api/trigger/status")).body;
        return body.running === false && body.last_result && body;
      });
      assert.deepEqual(status.last_result, { ok: 1, failed: 0 });
      assertError(await send("POST", "/api/trigger", { device_id: "nope" }), 404, "NOT_FOUND");
    });
  });

  describe("size, CORS and bad input", () => {
    it("answers 413 to a Content-Length over 1 MB before any body is sent", async () => {
      const raw = await rawExchange(
        red.port,
        `PUT /api/config HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n`,
        { until: /\r\n\r\n[\s\S]*\}/ },
      );
      assert.equal(statusOf(raw), 413);
      assert.match(raw, /"code":"PAYLOAD_TOO_LARGE"/);
      assertSecurityHeaders(rawHeaders(raw), "413");
    });

    it("cuts a chunked body off at 1 MB with 413", async () => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const raw = await rawExchange(
        red.port,
        `PUT /api/config HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        {
          until: /\r\n\r\n[\s\S]*\}/,
          then: (write) => {
            for (let i = 0; i < 40; i++)
              write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]));
          },
        },
      );
      assert.equal(statusOf(raw), 413);
    });

    it("gives CORS headers only to allowed origins, and answers preflights itself", async () => {
      const allowed = await get("/api/health", { Origin: "http://localhost:3000" });
      assert.equal(allowed.headers.get("access-control-allow-origin"), "http://localhost:3000");
      const other = await get("/api/health", { Origin: "https://evil.example" });
      assert.equal(other.headers.get("access-control-allow-origin"), null, "Node-RED's cors(*) must not answer");
      const preflight = await call(base, "OPTIONS", "/api/config", {
        headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "PUT" },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get("access-control-allow-origin"), "http://localhost:5173");
      assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /X-Api-Key/i);
      const refused = await call(base, "OPTIONS", "/api/config", {
        headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "PUT" },
      });
      assertError(refused, 403, "CORS_ORIGIN_NOT_ALLOWED");
      assert.equal(refused.headers.get("access-control-allow-origin"), null);
    });

    it("answers malformed, mistyped, unknown and hostile input with exact statuses and codes", async () => {
      assertError(await send("PUT", "/api/config", "{not json"), 400, "INVALID_JSON");
      assertError(
        await send("PUT", "/api/config", "a=1", { "Content-Type": "text/plain" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
      const unknown = await send("PUT", "/api/config", { poll_interval_s: 10, bogus: 1 });
      assertError(unknown, 422, "VALIDATION_FAILED");
      assert.deepEqual(
        unknown.body.error.details.issues.map((i: { path: string }) => i.path),
        [""],
      );
      assert.match(unknown.text, /bogus/);
      const wrong = await send("PUT", "/api/config", { poll_interval_s: 0 });
      assertError(wrong, 422, "VALIDATION_FAILED");
      assert.equal(wrong.body.error.details.issues[0].path, "poll_interval_s");
      assertError(await send("PUT", "/api/config", { poll_interval_s: 1e308 }), 422, "VALIDATION_FAILED");
      assertError(await send("PUT", "/api/config", "[".repeat(5000) + "]".repeat(5000)), 400, "JSON_TOO_DEEP");
      assertError(await send("PUT", "/api/config", '{"__proto__": {"admin": true}}'), 422, "VALIDATION_FAILED");
      assertError(
        await send("POST", "/api/devices", { id: "../../etc", name: "x", kind: "nut", nut: {} }),
        422,
        "VALIDATION_FAILED",
      );
      assertError(await get("/api/events?device_id[$ne]=x"), 422, "VALIDATION_FAILED");
      assertError(await get(`/api/events?device_id=${encodeURIComponent('{"$ne":null}')}`), 422, "VALIDATION_FAILED");
      assertError(await get("/api/snapshots?limit=0"), 422, "VALIDATION_FAILED");
      assertError(await get("/api/snapshots?limit=99999999999999"), 422, "VALIDATION_FAILED");
      assertError(await get("/api/snapshots?since=yesterday"), 422, "VALIDATION_FAILED");
      assertError(await get("/api/snapshots?limit=1&limit=2"), 400, "DUPLICATE_QUERY_PARAMETER");
      assertError(await get("/api/snapshots?cursor=bogus"), 400, "BAD_REQUEST");
      assertError(await get("/api/nope"), 404, "NOT_FOUND");
      const notAllowed = await call(base, "DELETE", "/api/health", { key: KEY });
      assertError(notAllowed, 405, "METHOD_NOT_ALLOWED");
      assert.match(notAllowed.headers.get("allow") ?? "", /^GET\b/);
      assertSecurityHeaders(notAllowed.headers, "405");
      assert.equal((await get("/api/health")).status, 200, "still healthy");
    });
  });

  describe("devices through the API", () => {
    const apiDevice = (overrides: Record<string, unknown> = {}) => ({
      id: "api-rack",
      name: "API rack",
      kind: "nut",
      poll_interval_s: 1,
      nut: { host: upsd.host, port: upsd.port, ups: "rack", username: "monitor", password: "api-secret" },
      ...overrides,
    });

    it("adds a device that the server polls itself, with values equal to upsc", async () => {
      const created = await send("POST", "/api/devices", apiDevice());
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers.get("location"), "/api/devices/api-rack");
      assert.equal(created.body.source, "api");
      assert.equal(created.body.nut.password, "********");
      await waitFor(async () => (await get("/api/devices/api-rack")).body.online === true, { what: "polled" });
      const latest = (await get("/api/snapshots/latest")).body.items;
      const snapshot = latest.find((s: { device_id: string }) => s.device_id === "api-rack");
      assert.deepEqual(snapshot.vars, await upsd.upsc("rack"));
      assertError(await send("POST", "/api/devices", apiDevice()), 409, "CONFLICT");
    });

    it("updates and removes API devices, and refuses to touch flow devices", async () => {
      const updated = await send(
        "PUT",
        "/api/devices/api-rack",
        apiDevice({ name: "Renamed", nut: { ...apiDevice().nut, password: "********" } }),
      );
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.name, "Renamed");
      assertError(await send("PUT", "/api/devices/rack-ups", apiDevice({ id: "rack-ups" })), 409, "CONFLICT");
      assertError(await send("DELETE", "/api/devices/rack-ups"), 409, "CONFLICT");
      assertError(await send("PUT", "/api/devices/nope", apiDevice({ id: "nope" })), 404, "NOT_FOUND");
      const replaced = await send("PUT", "/api/devices", [apiDevice(), apiDevice({ id: "api-two" })]);
      assert.equal(replaced.status, 200, replaced.text);
      assert.deepEqual(
        replaced.body.items.map((d: { id: string }) => d.id),
        ["api-rack", "api-two"],
      );
      const removed = await send("DELETE", "/api/devices/api-two");
      assert.equal(removed.status, 204);
      assert.equal(removed.text, "");
      assertError(await send("DELETE", "/api/devices/api-two"), 404, "NOT_FOUND");
    });
  });

  describe("configuration", () => {
    it("PUT /api/config saves and answers what was saved", async () => {
      const config = {
        poll_interval_s: 5,
        poll_on_startup: true,
        scheduler_paused: false,
        retention_days: 14,
        max_snapshots: 200000,
        trust_proxy: false,
      };
      const saved = await send("PUT", "/api/config", config);
      assert.deepEqual(saved.body, config);
      assert.deepEqual((await get("/api/config")).body, config);
    });

    it("PUT /api/alerts accepts only https URLs and masks secrets", async () => {
      const http = await send("PUT", "/api/alerts", {
        providers: [{ type: "gotify", name: "g", url: "http://gotify.lan", token: "tok" }],
      });
      assertError(http, 422, "VALIDATION_FAILED");
      assert.equal(http.body.error.details.issues[0].path, "providers.0.url");
      const saved = await send("PUT", "/api/alerts", {
        providers: [{ type: "gotify", name: "g", url: "https://gotify.lan", token: "gotify-token-secret" }],
      });
      assert.equal(saved.status, 200, saved.text);
      assert.equal(saved.body.providers[0].token, "********");
      const read = await get("/api/alerts");
      assert.ok(!read.text.includes("gotify-token-secret"));
    });
  });

  describe("persistence and redeploys", () => {
    it("keeps configuration, alerts, devices and history across a Node-RED restart", async () => {
      const before = {
        config: (await get("/api/config")).body,
        alerts: (await get("/api/alerts")).body,
        devices: (await get("/api/devices")).body.items.map((d: { id: string }) => d.id),
        snapshots: (await get("/api/health")).body.store.snapshots,
      };
      await red.restart();
      await waitFor(async () => (await get("/api/health")).status === 200, { what: "API after restart" });
      assert.deepEqual((await get("/api/config")).body, before.config);
      assert.deepEqual((await get("/api/alerts")).body, before.alerts);
      await waitFor(async () => (await get("/api/devices")).body.items.length === before.devices.length, {
        what: "devices",
      });
      assert.deepEqual(
        (await get("/api/devices")).body.items.map((d: { id: string }) => d.id),
        before.devices,
      );
      const history = await get("/api/snapshots?device_id=rack-ups&limit=1000");
      assert.ok(history.body.items.length >= before.snapshots / 2, "history survived");
    });

    it("keeps API changes on a redeploy that changes nothing, and lets changed editor values win", async () => {
      await red.deploy(flow(upsd));
      await waitFor(async () => (await get("/api/health")).status === 200, { what: "API" });
      assert.equal((await get("/api/config")).body.retention_days, 14, "API value kept");
      await red.deploy(flow(upsd, { retentionDays: "9" }));
      await waitFor(async () => (await get("/api/config")).body?.retention_days === 9, { what: "editor value wins" });
    });

    it("refuses a second server on the same base path with a clear message", async () => {
      const flows = [...flow(upsd), { id: "srv2", type: "argus-server", name: "second", credentials: { apiKey: KEY } }];
      await red.deploy(flows);
      await waitFor(() => /another argus-server already serves the API at "\/api"/.test(red.log), {
        what: "conflict logged",
      });
      // One of the two holds the base path and serves; the other says why it does not.
      await waitFor(async () => (await get("/api/health")).status === 200, { what: "one server serves" });
    });

    it("serves under a base path", async () => {
      await red.deploy(flow(upsd, { basePath: "/argus" }));
      await waitFor(async () => (await get("/argus/api/health")).status === 200, { what: "moved API" });
      assertError(await get("/api/health"), 503, "UNAVAILABLE");
      await red.deploy(flow(upsd));
      await waitFor(async () => (await get("/api/health")).status === 200, { what: "API back" });
    });
  });

  describe("rate limit (last: it spends this key's budget)", () => {
    it("answers 429 with a whole-second Retry-After past 60 requests a minute", async () => {
      let limited: JsonResponse | null = null;
      for (let i = 0; i < 61 && !limited; i++) {
        const response = await send("POST", "/api/trigger");
        if (response.status === 429) limited = response;
        else assert.equal(response.status, 202);
      }
      assert.ok(limited, "limited within 61 requests");
      assertError(limited, 429, "RATE_LIMITED");
      assert.match(limited.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
      assertSecurityHeaders(limited.headers, "429");
    });
  });
});

describe("Argus API server start-up in a real Node-RED", function () {
  this.timeout(60_000);
  let red: NodeRedProcess;
  before(async () => (red = await NodeRedProcess.start({ env: { RATE_LIMIT_PER_MINUTE: "1000" } })));
  after(async () => red?.dispose());

  it("a key under 32 characters stops the server: every route 503, the log says why, Node-RED keeps running", async () => {
    await red.deploy([{ id: "srv", type: "argus-server", credentials: { apiKey: "too-short" } }]);
    await waitFor(() => red.log.includes("ERROR: API_KEY must be at least 32 characters long"), { what: "log line" });
    assert.match(red.log, /randomBytes\(32\)\.toString\('base64url'\)/);
    assert.match(red.log, /openssl rand/);
    for (const path of ["/api/health", "/api/devices", "/api/nope"]) {
      const response = await call(red.url, "GET", path);
      assertError(response, 503, "UNAVAILABLE");
      assertSecurityHeaders(response.headers, `503 ${path}`);
    }
    assert.ok(!red.log.includes("too-short"), "the key is never logged");
    assert.equal((await fetch(`${red.url}/settings`)).status, 200, "Node-RED still runs");
  });

  it("with no key at all, writes answer 403 saying how to set one", async () => {
    // A new node id: Node-RED keeps a node's stored credentials when a redeploy brings none.
    await red.deploy([{ id: "srv-no-key", type: "argus-server" }]);
    await waitFor(async () => (await call(red.url, "GET", "/api/health")).status === 200, { what: "server up" });
    const response = await call(red.url, "POST", "/api/trigger", { key: "whatever-key-of-enough-length-000000" });
    assertError(response, 403, "API_KEY_NOT_CONFIGURED");
    assert.match(response.body.error.message, /API_KEY/);
  });

  it("limits failed key attempts per client, by X-Forwarded-For only when trust_proxy is on", async () => {
    await red.deploy([{ id: "srv", type: "argus-server", trustProxy: true, credentials: { apiKey: KEY } }]);
    await waitFor(async () => (await call(red.url, "GET", "/api/health")).status === 200, { what: "server up" });
    const attempt = (ip: string, key = "w".repeat(40)) =>
      call(red.url, "POST", "/api/trigger", { key, headers: { "X-Forwarded-For": ip } });
    let blocked: JsonResponse | null = null;
    for (let i = 0; i < 30 && !blocked; i++) {
      const response = await attempt("203.0.113.7");
      if (response.status === 429) blocked = response;
      else assertError(response, 403, "API_KEY_INVALID");
    }
    assert.ok(blocked, "blocked");
    assertError(blocked, 429, "TOO_MANY_FAILED_ATTEMPTS");
    assert.match(blocked.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assertError(await attempt("203.0.113.7", KEY), 429, "TOO_MANY_FAILED_ATTEMPTS");
    assert.equal((await attempt("203.0.113.8", KEY)).status, 202, "another client is not blocked");
  });
});
