/**
 * Reading a JSON request body within the limits of api.md ("Size", "Bad input"): 1 MB at most, refused before
 * reading when Content-Length says so and cut off at the limit when it does not (chunked); JSON only; nesting
 * bounded, because nedb and recursive code downstream fail on deep documents (a 10k-deep object throws
 * RangeError in nedb). Error messages never echo the input.
 */
import type { IncomingMessage } from "node:http";
import { ApiError } from "./api-error";

export const MAX_BODY_BYTES = 1_048_576;
export const MAX_JSON_DEPTH = 32;

export type BodyRequirement = "required" | "optional";

export interface ReadBodyOptions {
  requirement: BodyRequirement;
  maxBytes?: number;
  maxDepth?: number;
}

/** The Content-Length as a number, or null when absent (chunked or no body). Node already refuses malformed ones. */
export function declaredLength(req: IncomingMessage): number | null {
  const header = req.headers["content-length"];
  if (header === undefined) return null;
  const value = Number(header);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** Whether the request carries a body at all: a positive Content-Length or a Transfer-Encoding (chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = declaredLength(req);
  if (length !== null) return length > 0;
  return req.headers["transfer-encoding"] !== undefined;
}

/** 413 from the headers alone, before a byte of the body is read; the connection is then closed, not drained. */
export function assertDeclaredLengthWithinLimit(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): void {
  const length = declaredLength(req);
  if (length !== null && length > maxBytes) throw tooLarge(maxBytes);
}

/** `application/json`, optionally with `charset=utf-8` (the only encoding JSON may use on the wire, RFC 8259). */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [mediaType = "", ...parameters] = header.split(";").map((part) => part.trim().toLowerCase());
  if (mediaType !== "application/json") return false;
  return parameters.every((parameter) => {
    const [name = "", value = ""] = parameter.split("=").map((part) => part.trim());
    return name !== "charset" || value.replace(/^"(.*)"$/, "$1") === "utf-8";
  });
}

/**
 * The parsed JSON body of a write, or undefined when there is none and none is required.
 * Throws ApiError: 413 PAYLOAD_TOO_LARGE, 415 UNSUPPORTED_MEDIA_TYPE, 400 BODY_REQUIRED, INVALID_JSON, JSON_TOO_DEEP.
 */
export async function readJsonBody(req: IncomingMessage, options: ReadBodyOptions): Promise<unknown> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  assertDeclaredLengthWithinLimit(req, maxBytes);
  if (!hasBody(req)) return absentBody(options.requirement);
  if (!isJsonContentType(req.headers["content-type"])) {
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "the request body must be JSON (Content-Type: application/json)");
  }
  const preParsed = preParsedBody(req);
  if (preParsed !== NOT_PRE_PARSED) return checkPreParsed(preParsed, options.requirement, maxBytes, maxDepth);
  const text = decodeUtf8(await readLimited(req, maxBytes));
  if (text.trim() === "") return absentBody(options.requirement);
  return parseJson(text, maxDepth);
}

/** JSON.parse behind the depth check; a syntax error becomes 400 without the parser's message (it quotes input). */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonTextTooDeep(text, maxDepth)) throw tooDeep(maxDepth);
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "INVALID_JSON", "the request body is not valid JSON");
  }
}

/**
 * Whether brackets nest deeper than `maxDepth`, counted by one linear scan that skips string contents, so the
 * check itself cannot overflow a stack however deep the input is. Run before JSON.parse.
 */
export function jsonTextTooDeep(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === BACKSLASH)
        index++; // skip the escaped character, which may be a quote
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The same bound for an already-parsed value, walked with an explicit stack rather than recursion. */
export function valueTooDeep(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.value === null || typeof item.value !== "object") continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) return true;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth });
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Collects the body up to `maxBytes`. Past it, reading stops at once and a 413 asking to close the connection
 * is thrown: the rest of a chunked body is never buffered. A client that goes away mid-body is a 400.
 */
function readLimited(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Consumed already (by someone before us): no 'end' will come again, so do not wait for one.
    if (req.readableEnded) return resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onAbort);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) {
        cleanup();
        req.pause();
        chunks.length = 0;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, received));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new ApiError(400, "BODY_INCOMPLETE", "the request body ended early", { closeConnection: true }));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("close", onAbort);
  });
}

/** Strict UTF-8: invalid bytes are a malformed body, not silently replaced characters. A BOM is dropped. */
function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, "INVALID_JSON", "the request body is not valid UTF-8");
  }
}

function absentBody(requirement: BodyRequirement): undefined {
  if (requirement === "required") throw new ApiError(400, "BODY_REQUIRED", "this request needs a JSON body");
  return undefined;
}

const NOT_PRE_PARSED = Symbol("not pre-parsed");

/**
 * Where a body parser ran before us (the fallback mount after Node-RED's 5 MB `bodyParser.json`), the stream
 * is already consumed and the parsed value sits on `req.body`, marked by body-parser's `req._body`.
 */
function preParsedBody(req: IncomingMessage): unknown {
  const parsed = req as IncomingMessage & { _body?: unknown; body?: unknown };
  return parsed._body === true ? parsed.body : NOT_PRE_PARSED;
}

function checkPreParsed(value: unknown, requirement: BodyRequirement, maxBytes: number, maxDepth: number): unknown {
  if (value === undefined) return absentBody(requirement);
  if (valueTooDeep(value, maxDepth)) throw tooDeep(maxDepth);
  // Its size on the wire is unknown (chunked); its serialized size is a close stand-in for the limit.
  if (Buffer.byteLength(JSON.stringify(value)) > maxBytes) throw tooLarge(maxBytes);
  return value;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "PAYLOAD_TOO_LARGE", `the request body is over ${maxBytes} bytes`, {
    details: { max_bytes: maxBytes },
    closeConnection: true,
  });
}

function tooDeep(maxDepth: number): ApiError {
  return new ApiError(400, "JSON_TOO_DEEP", `the JSON body nests deeper than ${maxDepth} levels`, {
    details: { max_depth: maxDepth },
  });
}
