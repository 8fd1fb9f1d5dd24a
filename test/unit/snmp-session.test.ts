/**
 * The session layer without an agent: error mapping, the watchdog for lost callbacks, socket errors, the pool, and
 * the reader's recovery from v1 noSuchName, tooBig and genErr, against a scripted fake of net-snmp's Session.
 */
import { strict as assert } from "node:assert";
import { EventEmitter } from "node:events";
import {
  ErrorStatus,
  ObjectType,
  RequestFailedError,
  RequestTimedOutError,
  ResponseInvalidError,
  type ResponseCallback,
  type Session,
  type Varbind,
} from "net-snmp";
import { fromNetSnmp, SnmpError } from "../../src/snmp/errors";
import { SnmpSessionPool } from "../../src/snmp/pool";
import { ABSENT_RECHECK_MS, ScalarReader, walkColumn } from "../../src/snmp/reader";
import { SnmpSession, type SnmpTarget } from "../../src/snmp/session";

const TARGET: SnmpTarget = {
  host: "127.0.0.1",
  port: 161,
  version: "2c",
  community: "public",
  timeout_ms: 100,
  retries: 0,
};

/** net-snmp's error classes are plain constructors with extra fields; build them as net-snmp does. */
function requestFailed(message: string, status: number): RequestFailedError {
  return Object.assign(Object.create(RequestFailedError.prototype), { message, status }) as RequestFailedError;
}

function responseInvalid(message: string, code: number): ResponseInvalidError {
  return Object.assign(Object.create(ResponseInvalidError.prototype), { message, code }) as ResponseInvalidError;
}

type Responder = (oids: string[], callback: ResponseCallback) => void;

/** A Session whose answers a test scripts, counting requests and closes. */
class FakeSession extends EventEmitter {
  readonly dgram = new EventEmitter();
  requests: string[][] = [];
  closed = false;

  constructor(private readonly respond: Responder) {
    super();
  }

  get(oids: string[], callback: ResponseCallback): this {
    this.requests.push(oids);
    this.respond(oids, callback);
    return this;
  }

  getNext(oids: string[], callback: ResponseCallback): this {
    return this.get(oids, callback);
  }

  close(): this {
    this.closed = true;
    return this;
  }
}

function sessionWith(respond: Responder, target: SnmpTarget = TARGET) {
  const fakes: FakeSession[] = [];
  const session = new SnmpSession(target, () => {
    const fake = new FakeSession(respond);
    fakes.push(fake);
    return fake as unknown as Session;
  });
  return { session, fakes };
}

const integer = (oid: string, value: number): Varbind => ({ oid, type: ObjectType.Integer, value });

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<SnmpError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof SnmpError, String(caught));
  assert.equal(caught.code, code);
  return caught;
}

describe("SNMP session layer", () => {
  describe("errors", () => {
    it("says that agent down, wrong community, wrong v3 user and wrong privacy key look alike on a timeout", () => {
      const error = fromNetSnmp(Object.create(RequestTimedOutError.prototype));
      assert.equal(error.code, "TIMEOUT");
      assert.equal(
        error.message,
        "no answer from the SNMP agent: it is down or unreachable, or the community, v3 user name or privacy key " +
          "is wrong (agents ignore those silently, so they all look alike)",
      );
    });

    it("maps USM reports to AUTH, UNKNOWN-USER, SECURITY-LEVEL and PRIVACY", () => {
      const code = (message: string, errorCode = 5) => fromNetSnmp(responseInvalid(message, errorCode)).code;
      assert.equal(code("Wrong Digest (incorrect password, community or key)"), "AUTH");
      assert.equal(code("Authentication digest 00 received in message does not match digest"), "AUTH");
      assert.equal(code("Unknown User Name"), "UNKNOWN-USER");
      assert.equal(code("Unsupported Security Level"), "SECURITY-LEVEL");
      assert.equal(code("Decryption Error"), "PRIVACY");
      assert.equal(code("Failed to decrypt PDU", 4), "PRIVACY");
      assert.equal(code("Requested OIDs do not match response OIDs", 6), "BAD-RESPONSE");
    });

    it("keeps the OID an agent error names", () => {
      const noSuchName = fromNetSnmp(requestFailed("NoSuchName: 1.3.6.1.2.1.33.1.2.7.0", ErrorStatus.NoSuchName));
      assert.deepEqual([noSuchName.code, noSuchName.oid], ["NO-SUCH-NAME", "1.3.6.1.2.1.33.1.2.7.0"]);
      const genErr = fromNetSnmp(requestFailed("GeneralError: 1.3.6.1.2.1.33.1.2.4.0", ErrorStatus.GeneralError));
      assert.deepEqual([genErr.code, genErr.oid], ["AGENT-ERROR", "1.3.6.1.2.1.33.1.2.4.0"]);
      assert.equal(genErr.message, "the SNMP agent answered with an error (GeneralError for 1.3.6.1.2.1.33.1.2.4.0)");
      assert.equal(fromNetSnmp(requestFailed("TooBig", ErrorStatus.TooBig)).code, "TOO-BIG");
    });

    it("maps socket failures: unknown host, network errors, a closed session", () => {
      const enotfound = Object.assign(new Error("getaddrinfo ENOTFOUND ups.invalid"), {
        code: "ENOTFOUND",
        hostname: "ups.invalid",
      });
      const error = fromNetSnmp(enotfound);
      assert.deepEqual([error.code, error.message], ["HOST-NOT-FOUND", "host not found (ups.invalid)"]);
      assert.equal(fromNetSnmp(Object.assign(new Error("x"), { code: "EHOSTUNREACH" })).code, "NETWORK");
      assert.equal(fromNetSnmp(new Error("Socket forcibly closed")).code, "CLOSED");
      assert.equal(fromNetSnmp("something odd").code, "UNKNOWN-ERROR");
    });
  });

  describe("SnmpSession", () => {
    it("times a lost callback out with its own watchdog after timeout x (retries + 1)", async () => {
      const { session } = sessionWith(() => undefined);
      const started = Date.now();
      await rejectsWithCode(session.get(["1.1.0"]), "TIMEOUT");
      const waited = Date.now() - started;
      assert.ok(waited >= 100 && waited < 1000, `waited ${waited} ms`);
      assert.equal(session.inFlight, 0);
    });

    it("gives a v3 session twice the time until discovery is done", async () => {
      const v3: SnmpTarget = { ...TARGET, version: "3", v3: undefined };
      const { session } = sessionWith(() => undefined, v3);
      const started = Date.now();
      await rejectsWithCode(session.get(["1.1.0"]), "TIMEOUT");
      assert.ok(Date.now() - started >= 200, "discovery and request each get the full budget");
    });

    it("ignores a callback that comes after the watchdog", async () => {
      let late: ResponseCallback | undefined;
      const { session } = sessionWith((_oids, callback) => (late = callback));
      await rejectsWithCode(session.get(["1.1.0"]), "TIMEOUT");
      late?.(null, [integer("1.1.0", 1)]); // must not throw or resolve anything
    });

    it("fails what is in flight on a socket error and opens a new socket for the next request", async () => {
      let answer = false;
      const { session, fakes } = sessionWith((oids, callback) => {
        if (answer) callback(null, [integer(oids[0] as string, 7)]);
      });
      const pending = session.get(["1.1.0"]);
      fakes[0]?.dgram.emit("error", Object.assign(new Error("bind EADDRINUSE"), { code: "EADDRINUSE" }));
      await rejectsWithCode(pending, "NETWORK");
      assert.equal(fakes[0]?.closed, true);
      answer = true;
      assert.deepEqual(await session.get(["1.1.0"]), [integer("1.1.0", 7)]);
      assert.equal(fakes.length, 2);
    });

    it("reuses one socket across requests and fails everything with CLOSED once closed", async () => {
      const { session, fakes } = sessionWith((oids, callback) => callback(null, [integer(oids[0] as string, 1)]));
      await session.get(["1.1.0"]);
      await session.get(["1.2.0"]);
      assert.equal(fakes.length, 1);
      session.close();
      assert.equal(fakes[0]?.closed, true);
      await rejectsWithCode(session.get(["1.1.0"]), "CLOSED");
    });
  });

  describe("SnmpSessionPool", () => {
    it("shares a session per agent and credentials, and closes it on the last release", () => {
      const pool = new SnmpSessionPool(() => new FakeSession(() => undefined) as unknown as Session);
      const a = pool.acquire(TARGET);
      const b = pool.acquire({ ...TARGET });
      const other = pool.acquire({ ...TARGET, community: "private" });
      assert.equal(a, b);
      assert.notEqual(a, other);
      assert.equal(pool.size, 2);
      pool.release(a);
      assert.equal(pool.size, 2, "one user left");
      pool.release(b);
      pool.release(other);
      assert.equal(pool.size, 0);
    });
  });

  describe("ScalarReader", () => {
    const OIDS = ["1.1.0", "1.2.0", "1.3.0", "1.4.0"];

    it("leaves out the OID a v1 agent names in noSuchName, asks the rest again, and remembers it for a while", async () => {
      let now = 1_000;
      const { session, fakes } = sessionWith((oids, callback) => {
        if (oids.includes("1.3.0")) return callback(requestFailed("NoSuchName: 1.3.0", ErrorStatus.NoSuchName));
        callback(
          null,
          oids.map((oid) => integer(oid, 1)),
        );
      });
      const reader = new ScalarReader(session, () => now);
      const first = await reader.read(OIDS);
      assert.deepEqual([...first.varbinds.keys()].sort(), OIDS);
      assert.equal(first.varbinds.get("1.3.0")?.type, ObjectType.NoSuchObject);
      assert.deepEqual(fakes[0]?.requests, [OIDS, ["1.1.0", "1.2.0", "1.4.0"]]);
      await reader.read(OIDS);
      assert.deepEqual(fakes[0]?.requests.at(-1), ["1.1.0", "1.2.0", "1.4.0"], "one GET on later polls");
      now += ABSENT_RECHECK_MS + 1;
      await reader.read(OIDS);
      assert.deepEqual(fakes[0]?.requests.at(-2), OIDS, "asked again after the recheck time");
    });

    it("asks OID by OID when noSuchName does not say which", async () => {
      const { session } = sessionWith((oids, callback) => {
        if (oids.length > 1 || oids[0] === "1.2.0")
          return callback(requestFailed("NoSuchName", ErrorStatus.NoSuchName));
        callback(null, [integer(oids[0] as string, 5)]);
      });
      const { varbinds } = await new ScalarReader(session).read(OIDS);
      assert.deepEqual(
        [...varbinds].map(([oid, vb]) => [oid, vb.type]),
        [
          ["1.1.0", ObjectType.Integer],
          ["1.2.0", ObjectType.NoSuchObject],
          ["1.3.0", ObjectType.Integer],
          ["1.4.0", ObjectType.Integer],
        ],
      );
    });

    it("splits a request the agent calls tooBig", async () => {
      const { session, fakes } = sessionWith((oids, callback) => {
        if (oids.length > 2) return callback(requestFailed("TooBig", ErrorStatus.TooBig));
        callback(
          null,
          oids.map((oid) => integer(oid, 2)),
        );
      });
      const { varbinds } = await new ScalarReader(session).read(OIDS);
      assert.equal(varbinds.size, 4);
      assert.deepEqual(fakes[0]?.requests.slice(1), [
        ["1.1.0", "1.2.0"],
        ["1.3.0", "1.4.0"],
      ]);
    });

    it("leaves out an OID the agent answers genErr for, but fails after three", async () => {
      const broken = new Set(["1.2.0"]);
      const { session } = sessionWith((oids, callback) => {
        const bad = oids.find((oid) => broken.has(oid));
        if (bad) return callback(requestFailed(`GeneralError: ${bad}`, ErrorStatus.GeneralError));
        callback(
          null,
          oids.map((oid) => integer(oid, 3)),
        );
      });
      const reader = new ScalarReader(session);
      const reading = await reader.read(OIDS);
      assert.deepEqual(
        reading.agentErrors.map((error) => error.oid),
        ["1.2.0"],
      );
      assert.equal(reading.varbinds.has("1.2.0"), false);
      for (const oid of OIDS) broken.add(oid);
      await rejectsWithCode(reader.read(OIDS), "AGENT-ERROR");
    });
  });

  describe("walkColumn", () => {
    it("walks one column with GETNEXT (v1) and stops where the column ends", async () => {
      const table: Varbind[] = [
        { oid: "1.3.6.1.2.1.33.1.6.2.1.2.1", type: ObjectType.OID, value: "1.3.6.1.2.1.33.1.6.3.2" },
        { oid: "1.3.6.1.2.1.33.1.6.2.1.2.4", type: ObjectType.OID, value: "1.3.6.1.2.1.33.1.6.3.3" },
        { oid: "1.3.6.1.2.1.33.1.6.2.1.3.1", type: ObjectType.TimeTicks, value: 100 },
      ];
      const { session } = sessionWith((oids, callback) => {
        const next = table.find((row) => compare(row.oid, oids[0] as string) > 0);
        if (!next) return callback(requestFailed("NoSuchName: x", ErrorStatus.NoSuchName));
        callback(null, [next]);
      });
      const rows = await walkColumn(session, "1", "1.3.6.1.2.1.33.1.6.2.1.2");
      assert.deepEqual([...rows.keys()], ["1", "4"]);
    });

    it("stops on an agent that goes backwards instead of looping", async () => {
      const { session } = sessionWith((_oids, callback) =>
        callback(null, [{ oid: "1.5.1", type: ObjectType.Integer, value: 1 }]),
      );
      const rows = await walkColumn(session, "1", "1.5");
      assert.deepEqual([...rows.keys()], ["1"]);
    });
  });
});

function compare(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return (left[i] as number) - (right[i] as number);
  }
  return left.length - right.length;
}
