import type { Snapshot } from "../model/snapshot";

/** A device protocol (NUT, SNMP) as the pipeline sees it: a poll always yields a snapshot, reachable or not. */
export interface DeviceDriver {
  readonly deviceId: string;
  poll(): Promise<Snapshot>;
  close(): void;
}
