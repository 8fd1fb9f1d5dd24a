import { strict as assert } from "node:assert";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { ApiError } from "../../src/api/api-error";
import {
  MAX_BODY_BYTES,
  MAX_JSON_DEPTH,
  isJsonContentType,
  jsonTextTooDeep,
  parseJson,
  readJsonBody,
  valueTooDeep,
} from "../../src/api/body";

/** A request stream with headers, enough for readJsonBody (the HTTP-level cases are in api-handler.test.ts). */
function fakeRequest(headers: Record<string, string>, chunks: Array<string | Buffer> = []): IncomingMessage {
  const stream = Readable.from(chunks.map((chunk) => (typeof chunk === "string" ? Buffer.from(chunk) : chunk)));
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

function json(body: string): IncomingMessage {
  return fakeRequest({ "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }, [body]);
}

async function rejectsWith(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    return true;
  });
}

const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);

describe("api readJsonBody", () => {
  it("parses a JSON body", async () => {
    assert.deepEqual(await readJsonBody(json('{"a":[1,"x"]}'), { requirement: "required" }), { a: [1, "x"] });
  });

  it("413 from Content-Length alone, before reading", async () => {
    const req = fakeRequest({ "content-type": "application/json", "content-length": String(MAX_BODY_BYTES + 1) });
    await rejectsWith(readJsonBody(req, { requirement: "required" }), 413, "PAYLOAD_TOO_LARGE");
  });

  it("413 when a chunked body passes the limit, and the error asks to close the connection", async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const req = fakeRequest(
      { "content-type": "application/json", "transfer-encoding": "chunked" },
      Array.from({ length: 40 }, () => chunk),
    );
    await assert.rejects(readJsonBody(req, { requirement: "required" }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, "PAYLOAD_TOO_LARGE");
      assert.equal(error.closeConnection, true);
      return true;
    });
  });

  it("accepts exactly the limit", async () => {
    const body = `"${"x".repeat(MAX_BODY_BYTES - 2)}"`;
    assert.equal(((await readJsonBody(json(body), { requirement: "required" })) as string).length, MAX_BODY_BYTES - 2);
  });

  it("415 unless application/json", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"]) {
      const req = fakeRequest({ "content-type": type, "content-length": "2" }, ["{}"]);
      await rejectsWith(readJsonBody(req, { requirement: "required" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    }
    const noType = fakeRequest({ "content-length": "2" }, ["{}"]);
    await rejectsWith(readJsonBody(noType, { requirement: "required" }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("400 BODY_REQUIRED for an empty body where one is required; undefined where optional", async () => {
    await rejectsWith(readJsonBody(fakeRequest({}), { requirement: "required" }), 400, "BODY_REQUIRED");
    await rejectsWith(readJsonBody(json("  \n"), { requirement: "required" }), 400, "BODY_REQUIRED");
    assert.equal(await readJsonBody(fakeRequest({ "content-length": "0" }), { requirement: "optional" }), undefined);
    assert.equal(await readJsonBody(json(" "), { requirement: "optional" }), undefined);
  });

  it("400 INVALID_JSON for malformed JSON and for invalid UTF-8, without echoing the input", async () => {
    await assert.rejects(readJsonBody(json('{"secret-marker": }'), { requirement: "required" }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, "INVALID_JSON");
      assert.equal(error.status, 400);
      assert.ok(!JSON.stringify(error.toBody()).includes("secret-marker"));
      return true;
    });
    const invalidUtf8 = Buffer.from([0x22, 0xc3, 0x28, 0x22]);
    const req = fakeRequest({ "content-type": "application/json", "content-length": "4" }, [invalidUtf8]);
    await rejectsWith(readJsonBody(req, { requirement: "required" }), 400, "INVALID_JSON");
  });

  it("400 JSON_TOO_DEEP past 32 levels, even 100 000 levels deep", async () => {
    assert.deepEqual(
      await readJsonBody(json(nested(MAX_JSON_DEPTH)), { requirement: "required" }),
      JSON.parse(nested(32)),
    );
    await rejectsWith(
      readJsonBody(json(nested(MAX_JSON_DEPTH + 1)), { requirement: "required" }),
      400,
      "JSON_TOO_DEEP",
    );
    await rejectsWith(readJsonBody(json(nested(100_000)), { requirement: "required" }), 400, "JSON_TOO_DEEP");
  });

  it("uses a body that a body parser already read (fallback mount), with the same limits", async () => {
    const req = Object.assign(json("{}"), { _body: true, body: { pre: "parsed" } });
    assert.deepEqual(await readJsonBody(req, { requirement: "required" }), { pre: "parsed" });
    const deep = Object.assign(json("{}"), { _body: true, body: JSON.parse(nested(40)) as unknown });
    await rejectsWith(readJsonBody(deep, { requirement: "required" }), 400, "JSON_TOO_DEEP");
    const big = Object.assign(fakeRequest({ "content-type": "application/json", "transfer-encoding": "chunked" }), {
      _body: true,
      body: { text: "x".repeat(MAX_BODY_BYTES) },
    });
    await rejectsWith(readJsonBody(big, { requirement: "required" }), 413, "PAYLOAD_TOO_LARGE");
  });
});

describe("api jsonTextTooDeep", () => {
  it("counts brackets outside strings only", () => {
    assert.equal(jsonTextTooDeep(nested(3), 3), false);
    assert.equal(jsonTextTooDeep(nested(4), 3), true);
    assert.equal(jsonTextTooDeep(`{"a":{"b":{"c":1}}}`, 3), false);
    assert.equal(jsonTextTooDeep(`{"a":{"b":{"c":{}}}}`, 3), true);
    assert.equal(jsonTextTooDeep(`["[[[[[[[[[[", "{{{{{{{"]`, 1), false, "brackets in strings");
    assert.equal(jsonTextTooDeep(`["\\"[[[[", "\\\\", [[1]]]`, 2), true, "escaped quotes do not end the string");
    assert.equal(jsonTextTooDeep(`["\\\\", "[[["]`, 1), false, "an escaped backslash does end before the quote");
  });
});

describe("api valueTooDeep", () => {
  it("walks parsed values without recursion", () => {
    assert.equal(valueTooDeep({ a: [1, { b: 2 }] }, 3), false);
    assert.equal(valueTooDeep({ a: [1, { b: {} }] }, 3), true);
    assert.equal(valueTooDeep("scalar", 0), false);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(valueTooDeep(deep, 32), true);
  });
});

describe("api isJsonContentType", () => {
  it("takes application/json with an optional utf-8 charset", () => {
    assert.equal(isJsonContentType("application/json"), true);
    assert.equal(isJsonContentType("Application/JSON; charset=UTF-8"), true);
    assert.equal(isJsonContentType('application/json;charset="utf-8"'), true);
    assert.equal(isJsonContentType("application/json; charset=iso-8859-1"), false);
    assert.equal(isJsonContentType("application/jsonp"), false);
    assert.equal(isJsonContentType("text/json"), false);
    assert.equal(isJsonContentType(undefined), false);
  });
});

describe("api parseJson", () => {
  it("throws typed errors", () => {
    assert.throws(
      () => parseJson("{"),
      (error: unknown) => error instanceof ApiError && error.code === "INVALID_JSON",
    );
    assert.deepEqual(parseJson('{"__proto__": {"x": 1}}'), JSON.parse('{"__proto__": {"x": 1}}'));
  });
});
