import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import {
  NutSimulator,
  parseCommand,
  quoteValue,
  SIM_VERSION_LINE,
  type SimTls,
  type SimUps,
  type SimUser,
} from "../../tools/nut-simulator";

/** Polls a condition until a deadline: tests wait for what they need to see, never for a fixed time. */
async function waitFor(probe: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A raw line-oriented client: collects every line the simulator sends and notes when the socket closes. */
class RawClient {
  readonly lines: string[] = [];
  closed = false;
  private buffer = "";
  private read = 0;

  constructor(readonly socket: net.Socket | tls.TLSSocket) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => this.take(text));
    socket.on("close", () => (this.closed = true));
    socket.on("error", () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Bytes received but not yet ended by a newline. */
  get partial(): string {
    return this.buffer;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The next n unread lines. */
  async next(n = 1): Promise<string[]> {
    await waitFor(() => this.lines.length >= this.read + n, `${n} line(s) after ${this.lines.length - this.read}`);
    const lines = this.lines.slice(this.read, this.read + n);
    this.read += n;
    return lines;
  }

  async request(command: string): Promise<string> {
    this.send(`${command}\n`);
    const [line] = await this.next();
    return line ?? "";
  }

  /** A whole list reply: up to END LIST, or the single ERR line that replaces a list. */
  async list(command: string): Promise<string[]> {
    this.send(`${command}\n`);
    const lines: string[] = [];
    for (;;) {
      const [line = ""] = await this.next();
      lines.push(line);
      if (line.startsWith("END LIST") || line.startsWith("ERR")) return lines;
    }
  }

  async waitClosed(): Promise<void> {
    await waitFor(() => this.closed, "the server to close the socket");
  }

  close(): void {
    this.socket.destroy();
  }

  private take(text: string): void {
    this.buffer += text;
    const parts = this.buffer.split("\n");
    this.buffer = parts.pop() ?? "";
    this.lines.push(...parts);
  }
}

const UPSES: SimUps[] = [
  {
    name: "ups1",
    desc: 'Rack "A" \\ row #1',
    vars: {
      "ups.status": "OL",
      "battery.charge": "100",
      "ups.load": "23",
      "ups.delay.shutdown": "20",
      "device.model": 'Smart "UPS" 1500 \\ #2',
    },
    rw: ["ups.delay.shutdown", "ups.id"],
    commands: ["load.off", "beeper.toggle"],
  },
  { name: "ups2", vars: { "ups.status": "OB DISCHRG" } },
];

const USERS: Record<string, SimUser> = {
  admin: { password: "secret", instcmds: "all", canSet: true },
  beeper: { password: "bee", instcmds: ["beeper.toggle"] },
  viewer: { password: "view" },
};

describe("NutSimulator", function () {
  let sim: NutSimulator;
  let clients: RawClient[];

  async function startSim(extra: { tls?: SimTls; idleTimeoutMs?: number } = {}): Promise<void> {
    sim = new NutSimulator({ upses: UPSES, users: USERS, ...extra });
    await sim.start();
  }

  async function connect(): Promise<RawClient> {
    const client = await RawClient.connect(sim.port);
    clients.push(client);
    return client;
  }

  async function loginAs(client: RawClient, user: string, password: string): Promise<void> {
    assert.equal(await client.request(`USERNAME ${user}`), "OK");
    assert.equal(await client.request(`PASSWORD ${password}`), "OK");
  }

  beforeEach(async function () {
    clients = [];
    await startSim();
  });

  afterEach(async function () {
    for (const client of clients) client.close();
    await sim.stop();
  });

  describe("command parsing and quoting", function () {
    it("splits words, honours quotes and escapes, and treats an unquoted # as a comment", function () {
      assert.deepEqual(parseCommand('SET VAR ups1 x "a \\"b\\" \\\\ \\# c"').words, [
        "SET",
        "VAR",
        "ups1",
        "x",
        'a "b" \\ # c',
      ]);
      assert.deepEqual(parseCommand('  GET\tVAR  ups1 "" ').words, ["GET", "VAR", "ups1", ""]);
      assert.deepEqual(parseCommand("VER # comment").words, ["VER"]);
      assert.equal(parseCommand('SET VAR u v "a#b"').hashInQuotes, true);
      assert.equal(parseCommand('SET VAR u v "a\\#b"').hashInQuotes, false);
    });

    it("escapes quote, backslash and hash in values", function () {
      assert.equal(quoteValue('a "b" \\ #c'), '"a \\"b\\" \\\\ \\#c"');
    });
  });

  describe("read commands", function () {
    it("answers VER, NETVER, PROTVER and HELP", async function () {
      const client = await connect();
      assert.equal(await client.request("VER"), SIM_VERSION_LINE);
      assert.equal(await client.request("NETVER"), "1.3");
      assert.equal(await client.request("protver"), "1.3");
      assert.match(await client.request("HELP"), /^Commands: /);
    });

    it("frames LIST UPS with escaped descriptions", async function () {
      const client = await connect();
      assert.deepEqual(await client.list("LIST UPS"), [
        "BEGIN LIST UPS",
        'UPS ups1 "Rack \\"A\\" \\\\ row \\#1"',
        'UPS ups2 "Unavailable"',
        "END LIST UPS",
      ]);
    });

    it("frames LIST VAR, RW and CMD, echoing the UPS name as sent", async function () {
      const client = await connect();
      assert.deepEqual(await client.list("LIST VAR UPS1"), [
        "BEGIN LIST VAR UPS1",
        'VAR UPS1 battery.charge "100"',
        'VAR UPS1 device.model "Smart \\"UPS\\" 1500 \\\\ \\#2"',
        'VAR UPS1 ups.delay.shutdown "20"',
        'VAR UPS1 ups.load "23"',
        'VAR UPS1 ups.status "OL"',
        "END LIST VAR UPS1",
      ]);
      assert.deepEqual(await client.list("LIST RW ups1"), [
        "BEGIN LIST RW ups1",
        'RW ups1 ups.delay.shutdown "20"',
        "END LIST RW ups1",
      ]);
      assert.deepEqual(await client.list("LIST CMD ups1"), [
        "BEGIN LIST CMD ups1",
        "CMD ups1 load.off",
        "CMD ups1 beeper.toggle",
        "END LIST CMD ups1",
      ]);
      assert.deepEqual(await client.list("LIST CMD ups2"), ["BEGIN LIST CMD ups2", "END LIST CMD ups2"]);
    });

    it("answers GET VAR and GET UPSDESC, with ERR codes for unknown names", async function () {
      const client = await connect();
      assert.equal(await client.request("GET VAR ups1 ups.status"), 'VAR ups1 ups.status "OL"');
      assert.equal(await client.request("GET VAR UPS2 UPS.STATUS"), 'VAR UPS2 UPS.STATUS "OB DISCHRG"');
      assert.equal(await client.request('GET VAR "ups1" "ups.load"'), 'VAR ups1 ups.load "23"');
      assert.equal(await client.request("GET VAR ups1 nope"), "ERR VAR-NOT-SUPPORTED");
      assert.equal(await client.request("GET VAR nope ups.status"), "ERR UNKNOWN-UPS");
      assert.equal(await client.request("GET VAR ups1"), "ERR INVALID-ARGUMENT");
      assert.equal(await client.request("GET UPSDESC ups1"), 'UPSDESC ups1 "Rack \\"A\\" \\\\ row \\#1"');
      assert.equal(await client.request("GET UPSDESC nope"), "ERR UNKNOWN-UPS");
      assert.equal(await client.request("GET TYPE ups1 ups.delay.shutdown"), "TYPE ups1 ups.delay.shutdown RW NUMBER");
    });

    it("replaces a whole list with one ERR line for an unknown UPS", async function () {
      const client = await connect();
      for (const kind of ["VAR", "RW", "CMD"]) {
        assert.deepEqual(await client.list(`LIST ${kind} nope`), ["ERR UNKNOWN-UPS"]);
      }
      assert.equal(await client.request("INSTCMD nope load.off"), "ERR UNKNOWN-UPS");
      assert.equal(await client.request('SET VAR nope x "1"'), "ERR UNKNOWN-UPS");
    });

    it("answers ERR UNKNOWN-COMMAND and ignores blank lines, CRs and comment-only lines", async function () {
      const client = await connect();
      client.send("\r\n\n# just a comment\nBOGUS\r\nVER # trailing comment\r\n");
      assert.deepEqual(await client.next(2), ["ERR UNKNOWN-COMMAND", SIM_VERSION_LINE]);
      assert.deepEqual(sim.received, ["BOGUS", "VER # trailing comment"]);
    });

    it("reflects setVar and removeVar at once", async function () {
      const client = await connect();
      sim.setVar("ups1", "ups.status", "OB LB");
      sim.setVar("UPS1", "battery.runtime", "300");
      assert.equal(await client.request("GET VAR ups1 ups.status"), 'VAR ups1 ups.status "OB LB"');
      assert.equal(await client.request("GET VAR ups1 battery.runtime"), 'VAR ups1 battery.runtime "300"');
      sim.removeVar("ups1", "battery.runtime");
      assert.equal(await client.request("GET VAR ups1 battery.runtime"), "ERR VAR-NOT-SUPPORTED");
      assert.throws(() => sim.setVar("nope", "x", "1"), /no UPS named nope/);
    });
  });

  describe("authentication and writes", function () {
    it("says OK to any password and denies SET and INSTCMD without the right credentials", async function () {
      const anonymous = await connect();
      assert.equal(await anonymous.request('SET VAR ups1 ups.delay.shutdown "30"'), "ERR ACCESS-DENIED");
      assert.equal(await anonymous.request("INSTCMD ups1 load.off"), "ERR ACCESS-DENIED");

      const wrong = await connect();
      await loginAs(wrong, "admin", "not-the-password");
      assert.equal(await wrong.request('SET VAR ups1 ups.delay.shutdown "30"'), "ERR ACCESS-DENIED");
      assert.equal(await wrong.request("INSTCMD ups1 load.off"), "ERR ACCESS-DENIED");

      const viewer = await connect();
      await loginAs(viewer, "viewer", "view");
      assert.equal(await viewer.request('SET VAR ups1 ups.delay.shutdown "30"'), "ERR ACCESS-DENIED");
      assert.equal(await viewer.request("INSTCMD ups1 load.off"), "ERR ACCESS-DENIED");
      assert.equal(await viewer.request("GET VAR ups1 ups.delay.shutdown"), 'VAR ups1 ups.delay.shutdown "20"');
    });

    it("refuses a second USERNAME and PASSWORD", async function () {
      const client = await connect();
      await loginAs(client, "admin", "secret");
      assert.equal(await client.request("USERNAME viewer"), "ERR ALREADY-SET-USERNAME");
      assert.equal(await client.request("PASSWORD view"), "ERR ALREADY-SET-PASSWORD");
    });

    it("masks the PASSWORD argument in received", async function () {
      const client = await connect();
      await loginAs(client, "admin", "secret");
      await client.request('PASSWORD "two words"');
      assert.deepEqual(sim.received, ["USERNAME admin", "PASSWORD ***", "PASSWORD ***"]);
      assert.ok(!sim.received.join("\n").includes("secret"));
    });

    it("sets a writable variable for an admin, visible on other connections, quoted values included", async function () {
      const admin = await connect();
      const other = await connect();
      await loginAs(admin, "admin", "secret");
      assert.equal(await admin.request('SET VAR ups1 ups.delay.shutdown "45"'), "OK");
      assert.equal(await other.request("GET VAR ups1 ups.delay.shutdown"), 'VAR ups1 ups.delay.shutdown "45"');
      assert.equal(await admin.request('SET VAR ups1 ups.delay.shutdown "say \\"hi\\" \\\\ \\#1"'), "OK");
      assert.equal(
        await other.request("GET VAR ups1 ups.delay.shutdown"),
        'VAR ups1 ups.delay.shutdown "say \\"hi\\" \\\\ \\#1"',
      );
      assert.equal(await admin.request('SET VAR ups1 ups.status "OB"'), "ERR READONLY");
      assert.equal(await admin.request('SET VAR ups1 nope "1"'), "ERR VAR-NOT-SUPPORTED");
      assert.equal(await admin.request("SET VAR ups1 ups.delay.shutdown"), "ERR INVALID-ARGUMENT");
    });

    it("runs instant commands only when supported and allowed", async function () {
      const admin = await connect();
      await loginAs(admin, "admin", "secret");
      assert.equal(await admin.request("INSTCMD ups1 load.off"), "OK");
      assert.equal(await admin.request("INSTCMD ups1 LOAD.OFF 5"), "OK");
      assert.equal(await admin.request("INSTCMD ups1 test.battery.start"), "ERR CMD-NOT-SUPPORTED");

      const limited = await connect();
      await loginAs(limited, "beeper", "bee");
      assert.equal(await limited.request("INSTCMD ups1 beeper.toggle"), "OK");
      assert.equal(await limited.request("INSTCMD ups1 load.off"), "ERR ACCESS-DENIED");
    });

    it("supports LOGIN, NUMLOGINS, LIST CLIENT, FSD and tracking", async function () {
      const admin = await connect();
      assert.equal(await admin.request("LOGIN ups1"), "ERR USERNAME-REQUIRED");
      await loginAs(admin, "admin", "secret");
      assert.equal(await admin.request("LOGIN nope"), "ERR UNKNOWN-UPS");
      assert.equal(await admin.request("LOGIN ups1"), "OK");
      assert.equal(await admin.request("LOGIN ups1"), "ERR ALREADY-LOGGED-IN");
      assert.equal(await admin.request("GET NUMLOGINS ups1"), "NUMLOGINS ups1 1");
      assert.deepEqual(await admin.list("LIST CLIENT ups1"), [
        "BEGIN LIST CLIENT ups1",
        "CLIENT ups1 127.0.0.1",
        "END LIST CLIENT ups1",
      ]);
      assert.equal(await admin.request("GET TRACKING"), "OFF");
      assert.equal(await admin.request("SET TRACKING ON"), "OK");
      const [ok, id] = (await admin.request("INSTCMD ups1 load.off")).split("TRACKING ");
      assert.equal(ok, "OK ");
      assert.equal(await admin.request(`GET TRACKING ${id ?? ""}`), "SUCCESS");
      assert.equal(await admin.request("FSD ups1"), "OK FSD-SET");
      assert.equal(await admin.request("GET VAR ups1 ups.status"), 'VAR ups1 ups.status "FSD OL"');
      assert.deepEqual(await admin.list("LIST ENUM ups1 ups.status"), [
        "BEGIN LIST ENUM ups1 ups.status",
        "END LIST ENUM ups1 ups.status",
      ]);
    });

    it("answers LOGOUT with OK Goodbye and closes the connection", async function () {
      const client = await connect();
      client.send("LOGOUT\nVER\n");
      assert.deepEqual(await client.next(), ["OK Goodbye"]);
      await client.waitClosed();
      assert.deepEqual(client.lines, ["OK Goodbye"]);
      await waitFor(() => sim.openConnections === 0, "openConnections to reach 0");
    });
  });

  describe("pipelining", function () {
    const batch = [
      "GET VAR ups1 ups.status",
      "LIST CMD ups2",
      "GET VAR ups1 nope",
      "VER",
      "GET VAR ups2 ups.status",
      "BOGUS",
    ];
    const expected = [
      'VAR ups1 ups.status "OL"',
      "BEGIN LIST CMD ups2",
      "END LIST CMD ups2",
      "ERR VAR-NOT-SUPPORTED",
      SIM_VERSION_LINE,
      'VAR ups2 ups.status "OB DISCHRG"',
      "ERR UNKNOWN-COMMAND",
    ];

    it("answers a pipelined batch strictly in order", async function () {
      const client = await connect();
      client.send(batch.map((command) => `${command}\n`).join(""));
      assert.deepEqual(await client.next(expected.length), expected);
    });

    it("keeps the order with delayMs and does not hold other connections up", async function () {
      const delayMs = 200;
      sim.faults.delayMs = delayMs;
      const slow = await connect();
      const other = await connect();
      const started = Date.now();
      // Split across writes so the batch also arrives in more than one chunk.
      slow.send(batch.slice(0, 3).join("\n") + "\n");
      slow.send(batch.slice(3).join("\n") + "\n");
      other.send("VER\n");
      assert.deepEqual(await other.next(), [SIM_VERSION_LINE]);
      const otherMs = Date.now() - started;
      assert.deepEqual(await slow.next(expected.length), expected);
      const slowMs = Date.now() - started;
      assert.ok(otherMs >= delayMs - 10, `a reply came after ${otherMs} ms, before the delay`);
      // Each reply waits delayMs from its own arrival: replies queued one delay after another, or behind the other
      // connection's batch, would take 6 x 200 ms.
      assert.ok(otherMs < 5 * delayMs, `the other connection waited ${otherMs} ms`);
      assert.ok(slowMs < 5 * delayMs, `a batch of ${batch.length} took ${slowMs} ms`);
    });
  });

  describe("faults", function () {
    it("silentReplies reads commands and never answers", async function () {
      const client = await connect();
      sim.faults.silentReplies = true;
      client.send("VER\nGET VAR ups1 ups.status\n");
      await waitFor(() => sim.received.length === 2, "both commands to be received");
      sim.faults.silentReplies = false;
      // The first line to arrive answers the command sent after the fault ended: nothing came before it.
      assert.equal(await client.request("NETVER"), "1.3");
      assert.deepEqual(client.lines, ["1.3"]);
    });

    it("dropMidList sends BEGIN LIST and one item, then drops the connection", async function () {
      const client = await connect();
      sim.faults.dropMidList = true;
      client.send("LIST VAR ups1\n");
      await client.waitClosed();
      assert.deepEqual(client.lines, ["BEGIN LIST VAR ups1", 'VAR ups1 battery.charge "100"']);
      await waitFor(() => sim.openConnections === 0, "openConnections to reach 0");
    });

    it("garbageReply replaces the next reply once", async function () {
      const client = await connect();
      sim.faults.garbageReply = 'VAR ups1 "unterminated \\';
      assert.equal(await client.request("GET VAR ups1 ups.status"), 'VAR ups1 "unterminated \\');
      assert.equal(sim.faults.garbageReply, null);
      assert.equal(await client.request("GET VAR ups1 ups.status"), 'VAR ups1 ups.status "OL"');
    });

    it("longLineBytes answers once with one oversized line", async function () {
      const client = await connect();
      sim.faults.longLineBytes = 100_000;
      client.send("GET VAR ups1 ups.status\n");
      await waitFor(() => client.partial.length > 0 || client.lines.length > 0, "the long line to start");
      const [line = ""] = await client.next();
      assert.equal(line.length, 100_000);
      assert.equal(sim.faults.longLineBytes, null);
      assert.equal(await client.request("VER"), SIM_VERSION_LINE);
    });

    it("refuseAfterAccept accepts and closes at once", async function () {
      sim.faults.refuseAfterAccept = true;
      const client = await connect();
      await client.waitClosed();
      assert.deepEqual(client.lines, []);
      assert.equal(sim.acceptedConnections, 1);
      await waitFor(() => sim.openConnections === 0, "openConnections to reach 0");
      sim.faults.refuseAfterAccept = false;
      const next = await connect();
      assert.equal(await next.request("VER"), SIM_VERSION_LINE);
      assert.equal(sim.acceptedConnections, 2);
    });

    it("mimics upsd's unescaped # in quotes: no reply, rest of that read dropped", async function () {
      const client = await connect();
      client.send('SET VAR ups1 ups.delay.shutdown "a#b"\nVER\n');
      await waitFor(() => sim.received.length === 1, "the command to be received");
      assert.equal(await client.request("NETVER"), "1.3");
      assert.deepEqual(client.lines, ["1.3"]);
    });
  });

  describe("robustness", function () {
    it("accepts a 1024-byte line and drops a client whose line is longer", async function () {
      const client = await connect();
      assert.equal(await client.request("X".repeat(1024)), "ERR UNKNOWN-COMMAND");
      client.send("Y".repeat(1025) + "\n");
      await client.waitClosed();
      const unterminated = await connect();
      unterminated.send("Z".repeat(2000));
      await unterminated.waitClosed();
      await waitFor(() => sim.openConnections === 0, "openConnections to reach 0");
    });

    it("survives arbitrary bytes and still answers", async function () {
      const client = await connect();
      let seed = 42;
      const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % 256;
      for (let round = 0; round < 50; round++) {
        const bytes = Buffer.from(Array.from({ length: 200 }, random).map((b) => (b === 0x23 ? 0x20 : b)));
        client.socket.write(bytes);
        client.send("\n");
      }
      client.send('"\n\\\nSET\nSET VAR\nGET\nLIST\nINSTCMD\nUSERNAME\nPASSWORD\nFSD\nSET TRACKING maybe\n');
      client.send("VER # still alive?\n");
      // Every garbage line got some answer first; the version line must still come, last.
      await waitFor(() => client.lines.at(-1) === SIM_VERSION_LINE, "the version line after the garbage");
      assert.ok(client.lines.slice(0, -1).every((line) => line.startsWith("ERR ")));
      assert.equal(client.closed, false);
    });

    it("drops a client after idleTimeoutMs without a command", async function () {
      await sim.stop();
      await startSim({ idleTimeoutMs: 100 });
      const client = await connect();
      assert.equal(await client.request("VER"), SIM_VERSION_LINE);
      await client.waitClosed();
      await waitFor(() => sim.openConnections === 0, "openConnections to reach 0");
    });
  });

  describe("connection accounting", function () {
    it("counts open connections down to 0 when clients leave", async function () {
      const a = await connect();
      const b = await connect();
      await a.request("VER");
      await b.request("VER");
      assert.equal(sim.openConnections, 2);
      assert.equal(sim.acceptedConnections, 2);
      a.socket.end();
      b.close();
      await waitFor(() => sim.openConnections === 0, "openConnections to reach 0");
      assert.equal(sim.acceptedConnections, 2);
    });

    it("stop() closes every client and the listener", async function () {
      const a = await connect();
      const b = await connect();
      await a.request("VER");
      await b.request("VER");
      const port = sim.port;
      await sim.stop();
      assert.equal(sim.openConnections, 0);
      await a.waitClosed();
      await b.waitClosed();
      await assert.rejects(RawClient.connect(port), /ECONNREFUSED/);
    });
  });

  describe("STARTTLS", function () {
    let material: SimTls;

    before(() => {
      material = makeCertificate();
    });

    it("answers ERR FEATURE-NOT-CONFIGURED without a certificate", async function () {
      const client = await connect();
      assert.equal(await client.request("STARTTLS"), "ERR FEATURE-NOT-CONFIGURED");
      assert.equal(await client.request("VER"), SIM_VERSION_LINE);
    });

    it("upgrades to TLS after OK STARTTLS and keeps serving", async function () {
      await sim.stop();
      await startSim({ tls: material });
      const plain = await connect();
      assert.equal(await plain.request("STARTTLS"), "OK STARTTLS");
      const secured = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const socket = tls.connect({ socket: plain.socket, rejectUnauthorized: false }, () => resolve(socket));
        socket.once("error", reject);
      });
      const client = new RawClient(secured);
      clients.push(client);
      assert.equal(await client.request("VER"), SIM_VERSION_LINE);
      assert.equal(await client.request("STARTTLS"), "ERR ALREADY-SSL-MODE");
      assert.deepEqual(await client.list("LIST CMD ups1"), [
        "BEGIN LIST CMD ups1",
        "CMD ups1 load.off",
        "CMD ups1 beeper.toggle",
        "END LIST CMD ups1",
      ]);
      assert.equal(sim.openConnections, 1);
      client.close();
      await waitFor(() => sim.openConnections === 0, "openConnections to reach 0");
    });

    it("stop() also closes TLS clients", async function () {
      await sim.stop();
      await startSim({ tls: material });
      const plain = await connect();
      assert.equal(await plain.request("STARTTLS"), "OK STARTTLS");
      const secured = tls.connect({ socket: plain.socket, rejectUnauthorized: false });
      const client = new RawClient(secured);
      clients.push(client);
      assert.equal(await client.request("VER"), SIM_VERSION_LINE);
      await sim.stop();
      assert.equal(sim.openConnections, 0);
      await client.waitClosed();
    });
  });
});

/** A throwaway self-signed certificate from the openssl CLI (tools/install-peers.sh installs it). */
function makeCertificate(): SimTls {
  const dir = mkdtempSync(join(tmpdir(), "nut-sim-tls-"));
  try {
    const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
    const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    args.push("-days", "1", "-subj", "/CN=localhost", "-keyout", key, "-out", cert);
    execFileSync("openssl", args, { stdio: "ignore" });
    return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
