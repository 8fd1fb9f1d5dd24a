/**
 * A child process a test harness starts and stops by PID, in the foreground, so Node reaps it (no late zombies,
 * no pid files) and the harness can never signal a process it did not start.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { waitFor } from "./wait";

const STOP_GRACE_MS = 3_000;

/** One foreground child process of a test harness (upsd, a NUT driver, snmpsimd), its log file and exit state. */
export class ManagedProcess {
  readonly pid: number;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    readonly logPath: string,
  ) {
    if (child.pid === undefined) throw new Error(`cannot start ${label}`);
    this.pid = child.pid;
    child.once("exit", (code, signal) => (this.exit = { code, signal }));
  }

  static spawn(label: string, bin: string, args: string[], env: NodeJS.ProcessEnv, logPath: string): ManagedProcess {
    // A file, not a pipe: nothing has to drain it, and its tail explains a failed start.
    const log = openSync(logPath, "a");
    try {
      const child = spawn(bin, args, { env, stdio: ["ignore", log, log] });
      child.on("error", () => undefined); // reported through pid === undefined / the exit state instead
      return new ManagedProcess(label, child, logPath);
    } finally {
      closeSync(log);
    }
  }

  /** False once Node has reaped the process (the "exit" event comes after waitpid). */
  get running(): boolean {
    return this.exit === undefined;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM (plus SIGCONT, since a stopped process never sees SIGTERM), then SIGKILL after a grace period. */
  async terminate(): Promise<void> {
    if (!this.running) return;
    this.signal("SIGTERM");
    this.signal("SIGCONT");
    try {
      await waitFor(() => !this.running, { timeoutMs: STOP_GRACE_MS, what: `${this.label} to exit` });
    } catch {
      this.signal("SIGKILL");
      await waitFor(() => !this.running, { timeoutMs: STOP_GRACE_MS, what: `${this.label} to die` });
    }
  }

  /** Everything the process wrote so far ("" before it wrote anything). */
  log(): string {
    try {
      return readFileSync(this.logPath, "utf8");
    } catch {
      return "";
    }
  }

  describe(): string {
    const how = this.exit ? `exited (code ${this.exit.code}, signal ${this.exit.signal})` : "running";
    return `${this.label} (pid ${this.pid}) ${how}; log tail:\n${this.log().slice(-1500)}`;
  }
}
