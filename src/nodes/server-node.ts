import type { Node } from "node-red";
import type { DeviceInput } from "../model/device";
import type { Snapshot } from "../model/snapshot";
import type { ArgusHub } from "../server/hub";

/** What flow nodes see of their `argus-server` config node. */
export interface ArgusServerNode extends Node<{ apiKey?: string }> {
  /** Adds a flow node's device; returns the function that removes it. */
  attachDevice(device: DeviceInput, pollNow: () => Promise<void>): () => void;
  ingest(snapshot: Snapshot, latencyMs: number | null): void;
  /** Why the server is not running, for the nodes that use it to show; null while it runs. */
  readonly failure: string | null;
  readonly hub: Promise<ArgusHub | null>;
}
