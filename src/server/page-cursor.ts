/** An opaque cursor for pages ordered by time then id: base64url of `t.id`, validated on the way back in. */
import { ApiError } from "../api/api-error";

export interface PagePosition {
  t: number;
  id: string;
}

export function encodePageCursor(position: PagePosition): string {
  return Buffer.from(`${position.t}.${position.id}`).toString("base64url");
}

export function decodePageCursor(cursor: string): PagePosition {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString() : "";
  const match = /^(\d{1,16})\.([A-Za-z0-9-]{1,64})$/.exec(text);
  if (!match) throw new ApiError(400, "BAD_REQUEST", "invalid cursor", { details: { field: "cursor" } });
  return { t: Number(match[1]), id: match[2] as string };
}
