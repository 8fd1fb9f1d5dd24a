/**
 * One NutClient per upsd endpoint and credentials, shared by every UPS polled on it and counted by its users, so
 * fifty nodes watching fifty UPSes of one upsd hold one connection, and the last release closes it.
 */
import { createHash } from "node:crypto";
import { NutClient, type NutClientOptions, type NutEndpoint } from "./client";

interface Entry {
  client: NutClient;
  users: number;
}

export class NutClientPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: NutClientOptions = {}) {}

  acquire(endpoint: NutEndpoint): NutClient {
    const key = keyOf(endpoint);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { client: new NutClient({ ...endpoint }, this.options), users: 0 };
      this.entries.set(key, entry);
    }
    entry.users++;
    return entry.client;
  }

  release(client: NutClient): void {
    const key = keyOf(client.endpoint);
    const entry = this.entries.get(key);
    if (!entry || entry.client !== client) return;
    if (--entry.users > 0) return;
    this.entries.delete(key);
    client.close();
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The password is part of the identity (two users, two sessions) but is hashed so the key holds no secret. */
function keyOf(endpoint: NutEndpoint): string {
  const secret = createHash("sha256")
    .update(endpoint.password ?? "")
    .digest("base64url");
  return JSON.stringify([
    endpoint.host.toLowerCase(),
    endpoint.port,
    endpoint.tls,
    endpoint.ca ?? "",
    endpoint.fingerprint256 ?? "",
    endpoint.username ?? "",
    secret,
  ]);
}

/** The process-wide pool the nodes and the server share. */
export const nutClients = new NutClientPool();
