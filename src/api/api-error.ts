/**
 * The one error type of the HTTP API and its wire shape `{error: {code, message, details?}}`.
 * Clients branch on `code`; `message` is for people. Neither ever carries a stack trace or an echo of the input.
 */
import { ConfigError } from "../model/config-error";

/** Every code this API answers with. Route handlers add theirs here, so the set stays documented in one place. */
export const API_ERROR_CODES = [
  // plumbing (this layer)
  "API_KEY_IN_QUERY",
  "API_KEY_MISSING",
  "API_KEY_INVALID",
  "API_KEY_DUPLICATE",
  "API_KEY_NOT_CONFIGURED",
  "RATE_LIMITED",
  "TOO_MANY_FAILED_ATTEMPTS",
  "CORS_ORIGIN_NOT_ALLOWED",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "INVALID_JSON",
  "JSON_TOO_DEEP",
  "BODY_REQUIRED",
  "BODY_INCOMPLETE",
  "INVALID_PATH_PARAMETER",
  "DUPLICATE_QUERY_PARAMETER",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "UNAVAILABLE",
  "INTERNAL",
  // for route handlers
  "BAD_REQUEST",
  "VALIDATION_FAILED",
  "CONFLICT",
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details?: unknown };
}

export interface ApiErrorOptions {
  /** Safe, client-facing detail (field paths, limits). Never raw input, never secrets. */
  details?: unknown;
  /** Extra response headers, e.g. `Retry-After` on a 429 or `Allow` on a 405. */
  headers?: Readonly<Record<string, string>>;
  /** Close the connection after answering: used when the rest of the request body is deliberately left unread. */
  closeConnection?: boolean;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly details?: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly closeConnection: boolean;

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message);
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.closeConnection = options.closeConnection ?? false;
  }

  /** A 422 naming every invalid field, from the model layer's ConfigError (itself from a zod error). */
  static fromConfigError(error: ConfigError): ApiError {
    return new ApiError(422, "VALIDATION_FAILED", "the request does not match the schema", {
      details: { issues: error.issues },
    });
  }

  toBody(): ApiErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

export function errorBody(code: ApiErrorCode, message: string, details?: unknown): ApiErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * What a thrown value becomes on the wire: an ApiError as is, a ConfigError as 422, anything else as a bare 500
 * with a fixed text, so nothing of the internal error can reach the client.
 */
export function toApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  if (thrown instanceof ConfigError) return ApiError.fromConfigError(thrown);
  return new ApiError(500, "INTERNAL", "internal error");
}
