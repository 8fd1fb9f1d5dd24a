/**
 * Every device one server knows: those that flow nodes register (`source: "flow"`, changed only in the editor)
 * and those added through the API (`source: "api"`, persisted), with their live state from the last snapshot.
 */
import type { Device, DeviceInput } from "../model/device";
import type { Snapshot } from "../model/snapshot";
import { maskDevice } from "./secrets";

export interface RegisteredDevice {
  device: DeviceInput;
  source: "api" | "flow";
  online: boolean | null;
  last_seen_at: string | null;
  last_status: string | null;
  /** Flow devices are polled by their node; this asks it to poll now. */
  pollNow?: () => Promise<void>;
}

export class DeviceRegistry {
  private readonly devices = new Map<string, RegisteredDevice>();

  get(id: string): RegisteredDevice | undefined {
    return this.devices.get(id);
  }

  has(id: string): boolean {
    return this.devices.has(id);
  }

  all(): RegisteredDevice[] {
    return [...this.devices.values()].sort((a, b) => a.device.id.localeCompare(b.device.id));
  }

  ofSource(source: "api" | "flow"): RegisteredDevice[] {
    return this.all().filter((entry) => entry.source === source);
  }

  set(device: DeviceInput, source: "api" | "flow", pollNow?: () => Promise<void>): RegisteredDevice {
    const previous = this.devices.get(device.id);
    const entry: RegisteredDevice = {
      device,
      source,
      online: previous?.online ?? null,
      last_seen_at: previous?.last_seen_at ?? null,
      last_status: previous?.last_status ?? null,
      pollNow,
    };
    this.devices.set(device.id, entry);
    return entry;
  }

  delete(id: string): boolean {
    return this.devices.delete(id);
  }

  /** Live state from a snapshot: online when reachable; last seen only when it answered. */
  observe(snapshot: Snapshot): void {
    const entry = this.devices.get(snapshot.device_id);
    if (!entry) return;
    entry.online = snapshot.reachable;
    if (snapshot.reachable) {
      entry.last_seen_at = snapshot.ts;
      entry.last_status = snapshot.status.raw;
    }
  }

  /** The wire shape, secrets masked. */
  static view(entry: RegisteredDevice): Device {
    return {
      ...maskDevice(entry.device),
      source: entry.source,
      online: entry.online,
      last_seen_at: entry.last_seen_at,
      last_status: entry.last_status,
    };
  }
}
