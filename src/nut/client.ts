/**
 * A NUT client for one upsd endpoint and one set of credentials: one persistent connection, shared by every UPS
 * polled on it. It connects on first use, reconnects with exponential backoff and jitter after a failure, sends a
 * keepalive before upsd's 60 s idle drop, and closes without leaving a socket, timer or listener behind.
 */
import * as net from "node:net";
import { NutConnection, DEFAULT_LIMITS, type ConnectionLimits } from "./connection";
import { NutError, socketError } from "./errors";
import { formatCommand } from "./protocol";
import { parseCmdList, parseUpsList, parseVarLine, parseVarList, type UpsListing } from "./replies";

export type NutTlsMode = "off" | "starttls" | "required";

export interface NutEndpoint {
  host: string;
  port: number;
  /** `starttls`: use TLS when the server offers it; `required`: refuse to talk without it. */
  tls: NutTlsMode;
  /** PEM of the CA (or self-signed certificate) that signs upsd's certificate. */
  ca?: string;
  /** SHA-256 fingerprint of upsd's certificate, to pin it instead of trusting a CA. */
  fingerprint256?: string;
  username?: string;
  password?: string;
}

export interface NutClientOptions {
  limits?: Partial<ConnectionLimits>;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** upsd drops a client 60 s after its last command. */
  keepaliveMs?: number;
}

export type NutClientState = "idle" | "connecting" | "ready" | "backoff" | "closed";

export interface VarsResult {
  values: Record<string, string>;
  /** Names the UPS answered `VAR-NOT-SUPPORTED` for. */
  missing: string[];
}

export class NutClient {
  private connection: NutConnection | null = null;
  private connecting: Promise<NutConnection> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private lastError: NutError | null = null;
  private isClosed = false;
  private readonly limits: ConnectionLimits;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly keepaliveMs: number;

  constructor(
    readonly endpoint: NutEndpoint,
    options: NutClientOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.backoffMinMs = options.backoffMinMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 60000;
    this.keepaliveMs = options.keepaliveMs ?? 45000;
  }

  get state(): NutClientState {
    if (this.isClosed) return "closed";
    if (this.connection) return "ready";
    if (this.connecting) return "connecting";
    if (this.reconnectTimer) return "backoff";
    return "idle";
  }

  async listUps(): Promise<UpsListing[]> {
    return parseUpsList(await this.list(["LIST", "UPS"]));
  }

  async listVars(ups: string): Promise<Record<string, string>> {
    return parseVarList(await this.list(["LIST", "VAR", ups]));
  }

  async listRw(ups: string): Promise<Record<string, string>> {
    const items = await this.list(["LIST", "RW", ups]);
    return parseVarList(items.map((item) => item.replace(/^RW /, "VAR ")));
  }

  async listCommands(ups: string): Promise<string[]> {
    return parseCmdList(await this.list(["LIST", "CMD", ups]));
  }

  async getVar(ups: string, name: string): Promise<string> {
    const connection = await this.ready();
    return parseVarLine(await connection.command(formatCommand(["GET", "VAR", ups, name]))).value;
  }

  /**
   * Reads many variables in one pipelined write: about a hundredth of the cost of `LIST VAR` on a persistent
   * connection, whose replies upsd writes line by line into Nagle's algorithm and our delayed ACKs.
   * Any error other than VAR-NOT-SUPPORTED (DATA-STALE, UNKNOWN-UPS, ...) concerns the whole UPS and is thrown.
   */
  async getVars(ups: string, names: readonly string[]): Promise<VarsResult> {
    const connection = await this.ready();
    const replies = await connection.batch(names.map((name) => formatCommand(["GET", "VAR", ups, name])));
    const values: Record<string, string> = Object.create(null);
    const missing: string[] = [];
    replies.forEach((reply, index) => {
      if (reply instanceof NutError) {
        if (reply.code !== "VAR-NOT-SUPPORTED") throw reply;
        missing.push(names[index] as string);
        return;
      }
      const { name, value } = parseVarLine(reply as string);
      values[name] = value;
    });
    return { values, missing };
  }

  /** Runs an instant command (`INSTCMD`); needs a user with the right in upsd.users. */
  async instcmd(ups: string, command: string, param?: string): Promise<string> {
    const words = ["INSTCMD", ups, command];
    if (param !== undefined && param !== "") words.push(param);
    return this.command(words);
  }

  /** Sets a read-write variable (`SET VAR`); needs a user with `actions = SET`. */
  async setVar(ups: string, name: string, value: string): Promise<string> {
    return this.command(["SET", "VAR", ups, name, value]);
  }

  /** Closes the connection and stops reconnecting; pending commands fail with CLIENT-CLOSED. */
  close(): void {
    this.isClosed = true;
    this.clearTimers();
    this.connection?.close();
    this.connection = null;
  }

  private async command(words: string[]): Promise<string> {
    const line = formatCommand(words);
    return (await this.ready()).command(line);
  }

  private async list(words: string[]): Promise<string[]> {
    const line = formatCommand(words);
    return (await this.ready()).list(line);
  }

  /** The open connection; during backoff the last connect error, at once, rather than a wait of up to a minute. */
  private async ready(): Promise<NutConnection> {
    if (this.isClosed) throw new NutError("CLIENT-CLOSED");
    if (this.connection) {
      this.scheduleKeepalive();
      return this.connection;
    }
    if (this.reconnectTimer && this.lastError) throw this.lastError;
    return this.connect();
  }

  private connect(): Promise<NutConnection> {
    this.connecting ??= this.open().then(
      (connection) => this.onConnected(connection),
      (error: NutError) => this.onConnectFailed(error),
    );
    return this.connecting;
  }

  private async open(): Promise<NutConnection> {
    const socket = await dial(this.endpoint, this.limits.timeoutMs);
    const connection = new NutConnection(socket, this.limits);
    try {
      await this.handshake(connection);
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  private async handshake(connection: NutConnection): Promise<void> {
    await this.negotiateTls(connection);
    const { username, password } = this.endpoint;
    const login: string[] = [];
    if (username) login.push(formatCommand(["USERNAME", username]));
    if (password) login.push(formatCommand(["PASSWORD", password]));
    if (login.length === 0) return;
    const replies = await connection.batch(login);
    const refused = replies.find((reply) => reply instanceof NutError);
    if (refused) throw refused;
  }

  private async negotiateTls(connection: NutConnection): Promise<void> {
    const { tls, host, ca, fingerprint256 } = this.endpoint;
    if (tls === "off") return;
    try {
      await connection.startTls({ servername: host, ca, fingerprint256 });
    } catch (error) {
      const notOffered =
        error instanceof NutError &&
        (error.code === "FEATURE-NOT-CONFIGURED" || error.code === "FEATURE-NOT-SUPPORTED");
      if (!notOffered) throw error;
      if (tls === "required") throw new NutError("TLS-UNAVAILABLE");
    }
  }

  private onConnected(connection: NutConnection): NutConnection {
    this.connecting = null;
    if (this.isClosed) {
      connection.close();
      throw new NutError("CLIENT-CLOSED");
    }
    this.failures = 0;
    this.lastError = null;
    this.connection = connection;
    connection.once("close", (error: NutError) => this.onConnectionLost(connection, error));
    this.scheduleKeepalive();
    return connection;
  }

  private onConnectFailed(error: NutError): never {
    this.connecting = null;
    if (!this.isClosed) this.scheduleReconnect(error);
    throw error;
  }

  private onConnectionLost(connection: NutConnection, error: NutError): void {
    if (this.connection !== connection) return;
    this.connection = null;
    if (this.isClosed || error.code === "CLIENT-CLOSED") return;
    this.scheduleReconnect(error);
  }

  /** Exponential backoff with full jitter, so many clients of one restarted upsd do not come back in step. */
  private scheduleReconnect(error: NutError): void {
    this.lastError = error;
    this.clearTimers();
    const ceiling = Math.min(this.backoffMaxMs, this.backoffMinMs * 2 ** this.failures);
    this.failures++;
    const delay = this.backoffMinMs + Math.random() * (ceiling - this.backoffMinMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch(() => undefined); // a failure schedules the next attempt
    }, delay);
    this.reconnectTimer.unref();
  }

  private scheduleKeepalive(): void {
    if (this.keepaliveTimer) this.keepaliveTimer.refresh();
    else {
      this.keepaliveTimer = setTimeout(() => this.keepalive(), this.keepaliveMs);
      this.keepaliveTimer.unref();
    }
  }

  private keepalive(): void {
    this.keepaliveTimer = null;
    const connection = this.connection;
    if (!connection) return;
    connection.command("VER").catch(() => undefined); // a failure closes the connection, which reconnects
    this.scheduleKeepalive();
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    this.reconnectTimer = null;
    this.keepaliveTimer = null;
  }
}

/** Opens a TCP connection with a deadline (an unreachable host can leave a SYN unanswered for minutes). */
function dial(endpoint: NutEndpoint, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port });
    const fail = (error: NutError) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on("error", () => undefined);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new NutError("TIMEOUT", "connect")), timeoutMs);
    socket.once("error", (err) => fail(socketError(err)));
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
  });
}
