/**
 * Errors of the stores that a client's input can cause. The HTTP layer maps every `StoreInputError` to a `4xx`
 * answer with `field` in the details; anything else a store throws is a bug or an I/O failure.
 */
export class StoreInputError extends Error {
  constructor(
    /** Machine-readable reason, e.g. `invalid_cursor`. */
    readonly code: string,
    /** The query or snapshot field at fault. */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A device id that does not match `[a-z0-9][a-z0-9_-]{0,63}`: refused before it gets near a path. */
export class InvalidDeviceIdError extends StoreInputError {
  constructor(field = "device_id") {
    super("invalid_device_id", field, "device_id must match [a-z0-9][a-z0-9_-]{0,63}");
  }
}

/** A cursor that this store did not hand out (or that was tampered with). */
export class InvalidCursorError extends StoreInputError {
  constructor() {
    super("invalid_cursor", "cursor", "cursor is not valid");
  }
}

/** Any other bad query value (`since`, `until`, `limit`, `bucket`) or a malformed snapshot. */
export class InvalidQueryError extends StoreInputError {
  constructor(field: string, message: string) {
    super("invalid_query", field, message);
  }
}
