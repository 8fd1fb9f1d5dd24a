/**
 * How both file stores find what they hold: one folder per device (named by a valid device id), and in it one
 * file per period whose key (`YYYY-MM-DD` or `YYYY-MM`) the store's pattern and parser accept.
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { isDeviceId } from "./keys";

export interface DeviceFiles {
  device: string;
  /** File keys, oldest first. */
  keys: string[];
}

export interface FileListing {
  /** `YYYY-MM-DD.jsonl` or the like, with the key as the first group. */
  pattern: RegExp;
  /** Parses a key to its start in epoch ms (NaN: not a real period). */
  startOf: (key: string) => number;
  /** Told about a folder that cannot be read (`""` for the store's base folder); the listing goes on without it. */
  fail: (where: string, error: unknown) => void;
}

/** Every device folder under `base` (created when missing) with its file keys; null when `base` cannot be read. */
export async function listDeviceFiles(base: string, listing: FileListing): Promise<DeviceFiles[] | null> {
  let devices: string[];
  try {
    await fsp.mkdir(base, { recursive: true });
    const entries = await fsp.readdir(base, { withFileTypes: true });
    devices = entries.filter((e) => e.isDirectory() && isDeviceId(e.name)).map((e) => e.name);
  } catch (error) {
    listing.fail("", error);
    return null;
  }
  const found: DeviceFiles[] = [];
  for (const device of devices.sort()) {
    let names: string[];
    try {
      names = await fsp.readdir(path.join(base, device));
    } catch (error) {
      listing.fail(path.join(base, device), error);
      continue;
    }
    const keys = names
      .map((name) => listing.pattern.exec(name)?.[1])
      .filter((key): key is string => key !== undefined && !Number.isNaN(listing.startOf(key)))
      .sort();
    if (keys.length > 0) found.push({ device, keys });
  }
  return found;
}
