/** HTTP helpers for end-to-end tests: fetch with JSON, and raw sockets for what fetch cannot send. */
import { connect } from "node:net";

export interface JsonResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers["X-Api-Key"] = options.key;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  const response = await fetch(base + path, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parseJson(text), text };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends raw bytes and collects the answer until the server closes or `until` matches what arrived. `then` is
 * written only after the head of the answer arrived, to prove an answer came before a body was sent.
 */
export function rawExchange(
  port: number,
  head: string,
  options: { until?: RegExp; timeoutMs?: number; then?: (write: (data: string | Buffer) => boolean) => void } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, options.timeoutMs ?? 5000);
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (options.until?.test(received)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      if (received) resolve(received);
      else reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(head);
    options.then?.((data) => socket.write(data));
  });
}

export function statusOf(rawResponse: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(rawResponse)?.[1] ?? 0);
}
