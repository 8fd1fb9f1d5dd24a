// A real HTTPS server on 127.0.0.1 that stands in for an alert provider: it records every request (method, path,
// headers, body) and answers from a script (status, headers, body, a delay, a hang, a redirect). Its certificate
// (for 127.0.0.1 and localhost) comes from a throwaway CA made by the openssl CLI at test time, so a test trusts
// it exactly the way a user would trust a private CA: through a provider's `ca` or NODE_EXTRA_CA_CERTS.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { waitFor } from "./wait";

const execFileAsync = promisify(execFile);

export interface ReceivedRequest {
  method: string;
  /** Path and query, as the request line had them. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The answer this request got (`hang` when none). */
  answeredWith: number | "hang";
}

export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (real time; for latency, never for synchronization). */
  delayMs?: number;
  /** Never answer; the connection stays open until the client gives up or the receiver closes. */
  hang?: boolean;
  /** Answer 302 (or `status`) with this Location. */
  redirect?: string;
}

export interface TestCa {
  dir: string;
  caPem: string;
  caFile: string;
  keyPem: string;
  certPem: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync("openssl", args, { cwd });
  } catch (err) {
    throw new Error(`openssl failed: ${(err as Error).message}`, { cause: err });
  }
}

/** A fresh CA and a server certificate for 127.0.0.1 and localhost that it signed (EC P-256, valid 2 days). */
export async function makeTestCa(commonName = "Argus Alerts Test CA"): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), "argus-receiver-"));
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const caExtensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"];
  const caOut = ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", `/CN=${commonName}`];
  await openssl(["req", "-x509", ...ecKey, ...caOut, ...caExtensions], dir);
  await openssl(["req", ...ecKey, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
  await writeFile(
    join(dir, "server.ext"),
    [
      "subjectAltName = IP:127.0.0.1, DNS:localhost",
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "",
    ].join("\n"),
  );
  const signing = ["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "server.ext"];
  await openssl(["x509", "-req", "-in", "server.csr", "-out", "server.pem", ...signing], dir);
  const [caPem, keyPem, certPem] = await Promise.all(
    ["ca.pem", "server.key", "server.pem"].map((name) => readFile(join(dir, name), "utf8")),
  );
  return { dir, caPem: caPem ?? "", caFile: join(dir, "ca.pem"), keyPem: keyPem ?? "", certPem: certPem ?? "" };
}

const DEFAULT_ANSWER: ScriptedAnswer = { status: 200, headers: { "content-type": "application/json" }, body: "{}" };

export class HttpsReceiver {
  /** Every request received, in arrival order. */
  readonly requests: ReceivedRequest[] = [];
  private readonly script: ScriptedAnswer[] = [];
  private fallback: ScriptedAnswer = DEFAULT_ANSWER;
  /** TCP connections accepted since the last reset (a refused target must not even connect). */
  connections = 0;
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly ca: TestCa,
    private readonly ownsCa: boolean,
  ) {}

  /** Starts on 127.0.0.1, port 0. Pass a CA to share one between receivers; otherwise a fresh one is made. */
  static async start(ca?: TestCa): Promise<HttpsReceiver> {
    const material = ca ?? (await makeTestCa());
    const server = createServer({ key: material.keyPem, cert: material.certPem });
    const receiver = new HttpsReceiver(server, material, ca === undefined);
    server.on("request", (req, res) => receiver.onRequest(req, res));
    server.on("connection", () => {
      receiver.connections += 1;
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get caPem(): string {
    return this.ca.caPem;
  }

  /** `https://127.0.0.1:<port><path>`. */
  url(path = "/"): string {
    return `https://127.0.0.1:${this.port}${path}`;
  }

  /** The next requests get these answers, one each, in order; after them the default answer. */
  answer(...answers: ScriptedAnswer[]): this {
    this.script.push(...answers);
    return this;
  }

  /** What requests get once the script is used up (initially 200 `{}`). */
  setDefault(answer: ScriptedAnswer): this {
    this.fallback = answer;
    return this;
  }

  /** Forgets the requests, the connection count and the script; hanging answers are released (closed). */
  reset(): void {
    this.requests.length = 0;
    this.connections = 0;
    this.script.length = 0;
    this.fallback = DEFAULT_ANSWER;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  /** Resolves once at least `count` requests have arrived. */
  async waitForRequests(count: number, timeoutMs = 5_000): Promise<ReceivedRequest[]> {
    await waitFor(() => this.requests.length >= count, { timeoutMs, what: `${count} request(s) at the receiver` });
    return this.requests;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.ownsCa) await rm(this.ca.dir, { recursive: true, force: true });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const answer = this.script.shift() ?? this.fallback;
      const record: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        answeredWith: answer.hang ? "hang" : (answer.status ?? (answer.redirect ? 302 : 200)),
      };
      this.requests.push(record);
      if (answer.hang) {
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
        return;
      }
      const send = (): void => {
        const headers = { ...(answer.headers ?? {}) };
        if (answer.redirect) headers.location = answer.redirect;
        res.writeHead(record.answeredWith as number, headers);
        res.end(answer.body ?? "");
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }
}
