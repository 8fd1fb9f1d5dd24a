/** The flow most end-to-end tests deploy: an argus-server and one argus-nut node polling a UPS on a real upsd. */
import type { Upsd } from "./upsd";

export interface ServerFlowOptions {
  apiKey: string;
  /** Extra properties of the argus-server node (basePath, retentionDays, ...). */
  server?: Record<string, unknown>;
  /** Extra properties of the argus-nut node (name, interval, ...). */
  ups?: Record<string, unknown>;
  nutCredentials?: { username: string; password: string };
}

export function serverFlow(upsd: Upsd, options: ServerFlowOptions): object[] {
  return [
    { id: "tab", type: "tab", label: "Argus" },
    { id: "srv", type: "argus-server", name: "main", ...options.server, credentials: { apiKey: options.apiKey } },
    {
      id: "ups",
      z: "tab",
      type: "argus-nut",
      name: "Rack UPS",
      server: "srv",
      host: upsd.host,
      port: String(upsd.port),
      ups: "rack",
      interval: "1",
      x: 100,
      y: 100,
      wires: [[]],
      ...options.ups,
      ...(options.nutCredentials ? { credentials: options.nutCredentials } : {}),
    },
  ];
}
