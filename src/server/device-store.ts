/** The devices added through the API, persisted so they survive a restart. */
import { DeviceInput } from "../model/device";
import type { Collection } from "./nedb";

export class DeviceStore {
  constructor(private readonly collection: Collection) {}

  async all(): Promise<DeviceInput[]> {
    const docs = (await this.collection.find({})) as { device: unknown }[];
    // A document that no longer parses (hand-edited, older version) is skipped rather than stopping the server.
    return docs.flatMap((doc) => {
      const parsed = DeviceInput.safeParse(doc.device);
      return parsed.success ? [parsed.data] : [];
    });
  }

  async put(device: DeviceInput): Promise<void> {
    await this.collection.update({ _id: device.id }, { _id: device.id, device }, { upsert: true });
  }

  async remove(id: string): Promise<void> {
    await this.collection.remove({ _id: id }, {});
  }

  async replaceAll(devices: DeviceInput[]): Promise<void> {
    await this.collection.remove({}, { multi: true });
    for (const device of devices) await this.put(device);
  }
}
