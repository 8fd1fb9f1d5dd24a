/**
 * Power events, newest first, in nedb. Events are rare (a few a day per device), so one datastore with a `ts`
 * index holds years of them; a cap keeps a flapping device from growing it without end.
 */
import type { PowerEvent } from "../model/power-event";
import type { Collection } from "./nedb";
import { decodePageCursor, encodePageCursor } from "./page-cursor";

export interface EventQuery {
  device_id?: string;
  type?: string;
  severity?: string;
  sinceMs?: number;
  untilMs?: number;
  limit: number;
  cursor?: string;
}

export const MAX_EVENTS = 50_000;

/** nedb refuses field names with dots, and a snapshot's `vars` are all dotted NUT names: it is kept as text. */
interface EventDoc extends Omit<PowerEvent, "snapshot"> {
  _id: string;
  t: number;
  snapshot: string;
}

export class EventStore {
  private count = 0;

  constructor(private readonly collection: Collection) {}

  async open(): Promise<void> {
    await this.collection.ensureIndex({ fieldName: "t" });
    await this.collection.ensureIndex({ fieldName: "device_id" });
    this.count = await this.collection.count({});
  }

  get size(): number {
    return this.count;
  }

  async add(event: PowerEvent): Promise<void> {
    const doc: EventDoc = {
      ...event,
      _id: event.id,
      t: Date.parse(event.ts),
      snapshot: JSON.stringify(event.snapshot),
    };
    await this.collection.insert(doc);
    this.count++;
    if (this.count > MAX_EVENTS) await this.trim();
  }

  async query(query: EventQuery): Promise<{ items: PowerEvent[]; next_cursor: string | null }> {
    // Every value below was validated by the route (strings matched against patterns and enums, numbers parsed),
    // so no client-chosen object can reach nedb as an operator.
    const filter: Record<string, unknown> = {};
    if (query.device_id) filter.device_id = query.device_id;
    if (query.type) filter.type = query.type;
    if (query.severity) filter.severity = query.severity;
    const range: Record<string, number> = {};
    if (query.sinceMs !== undefined) range.$gte = query.sinceMs;
    if (query.untilMs !== undefined) range.$lt = query.untilMs;
    if (Object.keys(range).length > 0) filter.t = range;
    const after = query.cursor ? decodePageCursor(query.cursor) : null;
    const page = after
      ? { $and: [filter, { $or: [{ t: { $lt: after.t } }, { t: after.t, _id: { $lt: after.id } }] }] }
      : filter;
    const docs = (await this.collection
      .find(page)
      .sort({ t: -1, _id: -1 })
      .limit(query.limit + 1)) as EventDoc[];
    const items = docs.slice(0, query.limit);
    const last = items.at(-1);
    const next_cursor = docs.length > query.limit && last ? encodePageCursor({ t: last.t, id: last._id }) : null;
    return { items: items.map(toEvent), next_cursor };
  }

  private async trim(): Promise<void> {
    const oldest = (await this.collection
      .find({})
      .sort({ t: 1 })
      .limit(this.count - MAX_EVENTS)) as EventDoc[];
    await this.collection.remove({ _id: { $in: oldest.map((doc) => doc._id) } }, { multi: true });
    this.count -= oldest.length;
  }
}

function toEvent(doc: EventDoc): PowerEvent {
  const { _id, t: _t, snapshot, ...event } = doc;
  return { ...event, snapshot: JSON.parse(snapshot) };
}
