/**
 * Errors are classes with a machine-readable code and an HTTP status, mapped to the API's error
 * shape once, in the HTTP middleware. Match them with instanceof, never on message text.
 * Messages are shown to callers: they must never contain a national ID.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details?: unknown) {
    super('VALIDATION_FAILED', 400, message, details);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'A valid bearer token is required') {
    super('UNAUTHENTICATED', 401, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You may not do this', code = 'FORBIDDEN') {
    super(code, 403, message);
  }
}

export class NotFoundError extends DomainError {
  constructor(what = 'Resource') {
    super('NOT_FOUND', 404, `${what} not found`);
  }
}

/** A state conflict: the request is valid but the resource's state refuses it. */
export class ConflictError extends DomainError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, 409, message, details);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(message = 'The request body is too large') {
    super('PAYLOAD_TOO_LARGE', 413, message);
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  constructor(message: string) {
    super('UNSUPPORTED_MEDIA_TYPE', 415, message);
  }
}
