/**
 * One open connection to upsd: writes commands, frames reply lines, and hands each reply to the command that
 * asked for it. NUT replies carry no ids and come strictly in order, so requests are matched first in, first out.
 * A command that gets no reply poisons the stream (a late reply would be taken for the next command's), so a
 * timeout closes the whole connection; the owner reconnects.
 */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import * as tls from "node:tls";
import { NutError, serverError, socketError } from "./errors";
import { splitWords } from "./protocol";

export interface ConnectionLimits {
  /** No reply line for this long while commands are pending: the server stalled. */
  timeoutMs: number;
  /** upsd's lines are at most 512 bytes; a longer one means a hostile or broken peer. */
  maxLineBytes: number;
  /** Bound on the items of one `LIST` reply, so a peer cannot grow our memory without end. */
  maxListItems: number;
}

/** upsd reads command lines of up to 512 bytes; our nudges stay far below that. */
const MAX_NUDGES_PER_LINE = 64;

export const DEFAULT_LIMITS: ConnectionLimits = { timeoutMs: 5000, maxLineBytes: 4096, maxListItems: 20000 };

/** A reply is either one line (`OK`, `VAR ...`) or the item lines of a `BEGIN LIST` ... `END LIST` block. */
export type Reply = string | string[];

interface Pending {
  readonly list: boolean;
  items: string[] | null;
  settle(result: Reply | NutError): void;
}

export interface TlsUpgrade {
  servername: string;
  ca?: string;
  /** SHA-256 fingerprint of the server certificate (`AA:BB:...`): trusts exactly that certificate. */
  fingerprint256?: string;
}

export class NutConnection extends EventEmitter {
  private socket: Socket;
  private readonly queue: Pending[] = [];
  private buffer = "";
  private timer: NodeJS.Timeout | null = null;
  private lastProgressAt = 0;
  private nudges = 0;
  private closedWith: NutError | null = null;

  constructor(
    socket: Socket,
    private readonly limits: ConnectionLimits = DEFAULT_LIMITS,
  ) {
    super();
    this.socket = socket;
    this.attach(socket);
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Sends one command; resolves with its reply line, or rejects with the typed `ERR`. */
  async command(line: string): Promise<string> {
    const [reply] = await this.batch([line], false);
    return unwrap(reply) as string;
  }

  /** Sends one `LIST` command; resolves with the item lines between `BEGIN LIST` and `END LIST`. */
  async list(line: string): Promise<string[]> {
    const [reply] = await this.batch([line], true);
    return unwrap(reply) as string[];
  }

  /**
   * Sends several commands in one write (pipelining) and resolves when every reply has arrived, each either its
   * reply or its own `ERR`: one unsupported variable must not fail the other thirty.
   */
  batch(lines: readonly string[], list = false): Promise<(Reply | NutError)[]> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve) => {
      const results = new Array<Reply | NutError>(lines.length);
      let left = lines.length;
      lines.forEach((_, index) => {
        this.queue.push({
          list,
          items: null,
          settle: (result) => {
            results[index] = result;
            if (--left === 0) resolve(results);
          },
        });
      });
      this.nudges = 0;
      if (!this.timer) {
        this.lastProgressAt = Date.now();
        this.armTimer(this.limits.timeoutMs);
      }
      this.socket.write(lines.join("\n") + "\n");
    }).then((results) => {
      const fatal = (results as (Reply | NutError)[]).find((r) => r instanceof NutError && !r.fromServer);
      if (fatal) throw fatal;
      return results as (Reply | NutError)[];
    });
  }

  /** `STARTTLS`, then a TLS handshake over the same socket. Rejects with the server's `ERR` when it has no TLS. */
  async startTls(options: TlsUpgrade): Promise<void> {
    await this.command("STARTTLS");
    const plain = this.socket;
    this.detach(plain);
    const pinned = options.fingerprint256?.toUpperCase();
    const secure = tls.connect({
      socket: plain,
      servername: isIp(options.servername) ? undefined : options.servername,
      ca: options.ca,
      // A pinned certificate is trusted for itself, whoever signed it; it is checked once the handshake is done.
      rejectUnauthorized: !pinned,
      checkServerIdentity: (host, cert) => tls.checkServerIdentity(options.servername || host, cert),
    });
    this.socket = secure;
    try {
      await handshake(secure);
      if (pinned && secure.getPeerCertificate().fingerprint256 !== pinned) {
        throw new NutError("TLS", "the certificate does not match the pinned fingerprint");
      }
    } catch (error) {
      const cause = error instanceof NutError ? error : socketError(error as NodeJS.ErrnoException);
      this.fail(cause.code === "TLS" ? cause : new NutError("TLS", cause.message));
      throw this.closedWith;
    }
    this.attach(secure);
  }

  /** Closes the socket; pending commands fail with CLIENT-CLOSED. */
  close(): void {
    this.fail(new NutError("CLIENT-CLOSED"));
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  private detach(socket: Socket): void {
    socket.off("data", this.onData);
    socket.off("error", this.onError);
    socket.off("close", this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    // upsd sends ASCII only; latin1 maps every byte to one character, so garbage cannot break the framing.
    const text = this.buffer + chunk.toString("latin1");
    this.lastProgressAt = Date.now();
    let start = 0;
    let newline: number;
    while ((newline = text.indexOf("\n", start)) !== -1) {
      if (newline - start > this.limits.maxLineBytes) return this.fail(new NutError("PROTOCOL", "reply line too long"));
      const end = text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      this.onLine(text.slice(start, end));
      if (this.closedWith) return;
      start = newline + 1;
    }
    this.buffer = text.slice(start);
    if (this.buffer.length > this.limits.maxLineBytes)
      return this.fail(new NutError("PROTOCOL", "reply line too long"));
    if (this.queue.length > 0) this.nudge();
  };

  private onLine(line: string): void {
    const head = this.queue[0];
    if (!head) return this.fail(new NutError("PROTOCOL", "reply with no command pending"));
    if (head.items) return this.onListLine(head, line);
    if (line.startsWith("ERR ") || line === "ERR") return this.complete(errorFrom(line));
    if (head.list) {
      if (!line.startsWith("BEGIN LIST ")) return this.fail(new NutError("PROTOCOL", "expected BEGIN LIST"));
      head.items = [];
      return;
    }
    this.complete(line);
  }

  private onListLine(head: Pending, line: string): void {
    const items = head.items as string[];
    if (line.startsWith("END LIST ")) return this.complete(items);
    if (items.length >= this.limits.maxListItems) return this.fail(new NutError("PROTOCOL", "list too long"));
    items.push(line);
  }

  /**
   * upsd writes each reply line with its own write() and Nagle's algorithm on, so after the first reply of a
   * pipelined batch it holds the rest until we acknowledge; Linux delays that ACK for up to 40 ms because the
   * connection looks interactive. Sending one space makes the kernel carry the ACK at once, and upsd takes it as
   * leading white space of the next command (it answers only complete lines). This turns a 44 ms batch into a
   * fraction of a millisecond. Bounded so the spaces never approach upsd's line length limit.
   */
  private nudge(): void {
    if (this.nudges >= MAX_NUDGES_PER_LINE) return;
    this.nudges++;
    this.socket.write(" ");
  }

  private complete(result: Reply | NutError): void {
    const head = this.queue.shift() as Pending;
    if (this.queue.length === 0) this.clearTimer();
    head.settle(result);
  }

  private readonly onError = (err: Error): void => {
    this.fail(socketError(err as NodeJS.ErrnoException));
  };

  private readonly onClose = (): void => {
    this.fail(new NutError("CONNECTION-CLOSED"));
  };

  private fail(error: NutError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.clearTimer();
    this.detach(this.socket);
    this.socket.on("error", () => undefined); // a late socket error after destroy must not crash the process
    this.socket.destroy();
    for (const pending of this.queue.splice(0)) pending.settle(error);
    this.emit("close", error);
  }

  /**
   * One timer while commands are pending, measured from the last byte received: a long list that keeps arriving
   * is progress, a silent server is not. Re-arming per line would cost a timer per reply line on the hot path.
   */
  private armTimer(delayMs: number): void {
    this.timer = setTimeout(this.onTimer, delayMs);
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    if (this.queue.length === 0) return;
    const idle = Date.now() - this.lastProgressAt;
    if (idle >= this.limits.timeoutMs) return this.fail(new NutError("TIMEOUT"));
    this.armTimer(this.limits.timeoutMs - idle);
  };

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function errorFrom(line: string): NutError {
  const [, code = "", ...rest] = splitWords(line);
  return serverError(code, rest.join(" ") || undefined);
}

function unwrap(reply: Reply | NutError | undefined): Reply {
  if (reply instanceof NutError) throw reply;
  if (reply === undefined) throw new NutError("PROTOCOL", "no reply");
  return reply;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

function handshake(socket: tls.TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      resolve();
    });
    socket.once("error", reject);
  });
}
