// Text answers of the API handler (`{status, text, contentType}`, as GET /api/metrics gives): the body as is, the
// route's Content-Type, and everything else as for JSON answers (security headers, request id, HEAD, 204).
import { strict as assert } from "node:assert";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { JSON_CONTENT_TYPE, TEXT_CONTENT_TYPE, createApiHandler } from "../../src/api/handler";
import type { ApiRoute } from "../../src/api/router";
import { SECURITY_HEADERS } from "../../src/api/security-headers";
import { createApiServerState } from "../../src/api/server-state";

const PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
const METRICS = '# HELP x_total A counter.\n# TYPE x_total counter\nx_total{name="caf\u00e9 \\"q\\""} 1\n';

const text = (path: string, answer: Awaited<ReturnType<ApiRoute["handle"]>>): ApiRoute => ({
  method: "GET",
  path,
  protected: false,
  handle: async () => answer,
});

const routes: ApiRoute[] = [
  text("/api/metrics", { status: 200, text: METRICS, contentType: PROMETHEUS }),
  text("/api/plain", { status: 200, text: "plain\n" }),
  text("/api/empty", { status: 200, text: "" }),
  text("/api/both", { status: 200, text: "the text", body: { ignored: true } }),
  text("/api/json", { status: 200, body: { ok: true } }),
  text("/api/override", {
    status: 200,
    text: "x",
    contentType: "text/csv; charset=utf-8",
    headers: { "Content-Type": "text/html", "X-Content-Type-Options": "sniff", "X-Custom": "1" },
  }),
  text("/api/no-content", { status: 204, text: "dropped", contentType: PROMETHEUS }),
  text("/api/bad-type", { status: 200, text: "x", contentType: "text/plain\r\nX-Injected: 1" }),
  text("/api/text-error", { status: 503, text: "down\n" }),
];

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

describe("api handler: text answers", () => {
  let server: Server;
  let base: string;
  const errors: unknown[] = [];

  before(async () => {
    const state = createApiServerState({ routes, apiKey: "k".repeat(40), trustProxy: false, env: {} });
    const handle = createApiHandler({ resolve: () => state, onError: (error) => errors.push(error) });
    server = createServer((req, res) => {
      if (!handle(req, res)) res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => (errors.length = 0));

  async function call(path: string, method = "GET"): Promise<Reply> {
    const response = await fetch(base + path, { method });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    return { status: response.status, headers, body: await response.text() };
  }

  function assertSecurityHeaders(reply: Reply): void {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      assert.equal(reply.headers[name.toLowerCase()], value, name);
    }
    assert.match(reply.headers["x-request-id"] ?? "", /^[0-9a-f-]{36}$/);
  }

  it("sends the text as is with the route's Content-Type and a byte-exact Content-Length", async () => {
    const reply = await call("/api/metrics");
    assert.equal(reply.status, 200);
    assert.equal(reply.body, METRICS);
    assert.equal(reply.headers["content-type"], PROMETHEUS);
    assert.equal(reply.headers["content-length"], String(Buffer.byteLength(METRICS)));
    assertSecurityHeaders(reply);
  });

  it("defaults to text/plain; charset=utf-8, also for an empty text", async () => {
    const plain = await call("/api/plain");
    assert.equal(plain.headers["content-type"], TEXT_CONTENT_TYPE);
    assert.equal(plain.body, "plain\n");
    const empty = await call("/api/empty");
    assert.equal(empty.status, 200);
    assert.equal(empty.body, "");
    assert.equal(empty.headers["content-type"], TEXT_CONTENT_TYPE);
    assert.equal(empty.headers["content-length"], "0");
  });

  it("prefers the text over a body; JSON answers are unchanged", async () => {
    const both = await call("/api/both");
    assert.equal(both.body, "the text");
    assert.equal(both.headers["content-type"], TEXT_CONTENT_TYPE);
    const json = await call("/api/json");
    assert.equal(json.headers["content-type"], JSON_CONTENT_TYPE);
    assert.deepEqual(JSON.parse(json.body), { ok: true });
  });

  it("takes the Content-Type from contentType only: a route's headers cannot set it nor a security header", async () => {
    const reply = await call("/api/override");
    assert.equal(reply.headers["content-type"], "text/csv; charset=utf-8");
    assert.equal(reply.headers["x-custom"], "1");
    assertSecurityHeaders(reply);
  });

  it("answers HEAD with the headers and no body", async () => {
    const reply = await call("/api/metrics", "HEAD");
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "");
    assert.equal(reply.headers["content-type"], PROMETHEUS);
    assertSecurityHeaders(reply);
  });

  it("sends no body and no content type for a 204", async () => {
    const reply = await call("/api/no-content");
    assert.equal(reply.status, 204);
    assert.equal(reply.body, "");
    assert.equal(reply.headers["content-type"], undefined);
  });

  it("a text error status keeps the text", async () => {
    const reply = await call("/api/text-error");
    assert.equal(reply.status, 503);
    assert.equal(reply.body, "down\n");
    assertSecurityHeaders(reply);
  });

  it("refuses a Content-Type that is not a valid header value: a bare 500, nothing injected", async () => {
    const reply = await call("/api/bad-type");
    assert.equal(reply.status, 500);
    assert.equal(reply.headers["x-injected"], undefined);
    assert.equal(reply.headers["content-type"], JSON_CONTENT_TYPE);
    assert.equal(JSON.parse(reply.body).error.code, "INTERNAL");
    assert.equal(errors.length, 1);
    assertSecurityHeaders(reply);
  });
});
