/** A UPS on a NUT server as a DeviceDriver: the shared client of its endpoint, its reader and normalization. */
import type { DeviceDriver } from "../engine/driver";
import type { NutSettings } from "../model/nut-settings";
import { unreachableSnapshot, type Snapshot } from "../model/snapshot";
import type { NutClient } from "./client";
import { NutError } from "./errors";
import { nutClients, type NutClientPool } from "./pool";
import { snapshotFromNutVars } from "./snapshot";
import { UpsReader } from "./ups-reader";

export interface NutDriverOptions {
  nominalPowerW?: number | null;
  pool?: NutClientPool;
  ca?: string;
  fingerprint256?: string;
}

export class NutDriver implements DeviceDriver {
  private readonly client: NutClient;
  private readonly reader: UpsReader;
  private readonly pool: NutClientPool;

  constructor(
    readonly deviceId: string,
    readonly settings: NutSettings,
    private readonly options: NutDriverOptions = {},
  ) {
    this.pool = options.pool ?? nutClients;
    this.client = this.pool.acquire({
      host: settings.host,
      port: settings.port,
      tls: settings.tls,
      ca: options.ca,
      fingerprint256: options.fingerprint256,
      username: settings.username || undefined,
      password: settings.password || undefined,
    });
    this.reader = new UpsReader(this.client, settings.ups);
  }

  async poll(): Promise<Snapshot> {
    const ts = new Date();
    try {
      const vars = await this.reader.read();
      return snapshotFromNutVars(this.deviceId, vars, ts, { nominalPowerW: this.options.nominalPowerW });
    } catch (error) {
      const nutError = error instanceof NutError ? error : new NutError("UNKNOWN-ERROR", String(error));
      return unreachableSnapshot(this.deviceId, ts, { code: nutError.code, message: nutError.reason });
    }
  }

  /** Runs an instant command; throws NutError (ACCESS-DENIED, CMD-NOT-SUPPORTED, ...). */
  instcmd(command: string, param?: string): Promise<string> {
    this.requireCredentials();
    return this.client.instcmd(this.settings.ups, command, param);
  }

  /** Sets a read-write variable; throws NutError (ACCESS-DENIED, READONLY, ...). */
  setVar(name: string, value: string): Promise<string> {
    this.requireCredentials();
    return this.client.setVar(this.settings.ups, name, value);
  }

  close(): void {
    this.pool.release(this.client);
  }

  private requireCredentials(): void {
    if (!this.settings.username || !this.settings.password) throw new NutError("USERNAME-REQUIRED");
  }
}
