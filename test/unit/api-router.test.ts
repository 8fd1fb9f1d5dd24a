import { strict as assert } from "node:assert";
import { ApiError } from "../../src/api/api-error";
import { type ApiRoute, type HttpMethod, MAX_PARAM_LENGTH, Router, parseQuery } from "../../src/api/router";

function route(method: HttpMethod, path: string): ApiRoute {
  return { method, path, protected: false, handle: async () => ({ status: 200, body: { method, path } }) };
}

const router = new Router([
  route("GET", "/api/devices"),
  route("POST", "/api/devices"),
  route("GET", "/api/devices/:id"),
  route("PUT", "/api/devices/:id"),
  route("DELETE", "/api/devices/:id"),
  route("GET", "/api/snapshots/:id"),
  route("GET", "/api/snapshots/latest"),
  route("POST", "/api/trigger"),
]);

function found(method: string, path: string): { pattern: string; params: Record<string, string> } {
  const match = router.match(method, path);
  assert.equal(match.kind, "found", `${method} ${path}`);
  if (match.kind !== "found") throw new Error("unreachable");
  return { pattern: match.route.path, params: { ...match.params } };
}

function rejects(action: () => unknown, status: number, code: string): void {
  assert.throws(
    action,
    (error: unknown) => error instanceof ApiError && error.status === status && error.code === code,
  );
}

describe("api Router", () => {
  it("matches literal paths and extracts decoded parameters", () => {
    assert.deepEqual(found("GET", "/api/devices"), { pattern: "/api/devices", params: {} });
    assert.deepEqual(found("GET", "/api/devices/ups-1"), { pattern: "/api/devices/:id", params: { id: "ups-1" } });
    assert.deepEqual(found("PUT", "/api/devices/ups%201%2Fa"), {
      pattern: "/api/devices/:id",
      params: { id: "ups 1/a" },
    });
    assert.deepEqual(found("GET", "/api/devices/"), { pattern: "/api/devices", params: {} }, "trailing slash");
  });

  it("prefers a literal segment over a parameter", () => {
    assert.equal(found("GET", "/api/snapshots/latest").pattern, "/api/snapshots/latest");
    assert.equal(found("GET", "/api/snapshots/other").pattern, "/api/snapshots/:id");
  });

  it("answers HEAD with the GET route", () => {
    assert.equal(found("HEAD", "/api/devices").pattern, "/api/devices");
  });

  it("not_found for unknown paths, empty parameters and extra segments", () => {
    for (const path of ["/api", "/api/nope", "/api/devices//", "/api/devices/a/b", "/api//devices", "/api/Devices"]) {
      assert.deepEqual(router.match("GET", path), { kind: "not_found" }, path);
    }
  });

  it("method_not_allowed with the Allow list of the path", () => {
    assert.deepEqual(router.match("PATCH", "/api/devices/x"), {
      kind: "method_not_allowed",
      allow: "GET, PUT, DELETE, HEAD, OPTIONS",
    });
    assert.deepEqual(router.match("GET", "/api/trigger"), { kind: "method_not_allowed", allow: "POST, OPTIONS" });
  });

  it("refuses parameters over the length cap or with broken percent-encoding", () => {
    assert.equal(found("GET", `/api/devices/${"a".repeat(MAX_PARAM_LENGTH)}`).params.id?.length, MAX_PARAM_LENGTH);
    rejects(
      () => router.match("GET", `/api/devices/${"a".repeat(MAX_PARAM_LENGTH + 1)}`),
      400,
      "INVALID_PATH_PARAMETER",
    );
    rejects(
      () => router.match("GET", `/api/devices/${"%41".repeat(MAX_PARAM_LENGTH + 1)}`),
      400,
      "INVALID_PATH_PARAMETER",
    );
    rejects(() => router.match("GET", "/api/devices/%E0%A4%A"), 400, "INVALID_PATH_PARAMETER");
  });

  it("refuses a route table with a duplicate route or a relative path", () => {
    assert.throws(() => new Router([route("GET", "/api/x"), route("GET", "/api/x")]), /duplicate route/);
    assert.throws(() => new Router([route("GET", "api/x")]), /must start with/);
  });
});

describe("api parseQuery", () => {
  it("gives plain strings, decoded, with no inherited keys", () => {
    const query = parseQuery("device_id=ups%201&limit=10&device_id%5B%24ne%5D=x&empty=&plus=a+b");
    assert.deepEqual({ ...query }, { device_id: "ups 1", limit: "10", "device_id[$ne]": "x", empty: "", plus: "a b" });
    assert.equal(Object.getPrototypeOf(query), null);
    assert.equal(parseQuery("").constructor, undefined);
    for (const value of Object.values(query)) assert.equal(typeof value, "string");
  });

  it("400 DUPLICATE_QUERY_PARAMETER for a repeated parameter, in any spelling", () => {
    rejects(() => parseQuery("limit=1&limit=2"), 400, "DUPLICATE_QUERY_PARAMETER");
    rejects(() => parseQuery("limit=1&li%6Dit=2"), 400, "DUPLICATE_QUERY_PARAMETER");
    rejects(() => parseQuery("a&a"), 400, "DUPLICATE_QUERY_PARAMETER");
  });
});
