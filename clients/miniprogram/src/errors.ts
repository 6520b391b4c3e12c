import { ErrorCode, errorMessages } from "./generated/codes";

export { ErrorCode, errorMessages, errorStatuses } from "./generated/codes";
export { NetworkError } from "./wx";

/** An answer `{code, errorMsg}` of the server (an HTTP error, or an error frame of the chat). */
export class ZuduiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly errorMsg: string,
    /** HTTP status; 0 for a chat error frame. */
    readonly status: number,
    /** The `x-request-id` response header, when the server sent one. */
    readonly requestId?: string,
    /** 105 only: seconds until a request may succeed. */
    readonly retryAfter?: number,
  ) {
    super(`${code} ${errorMsg}`);
    this.name = "ZuduiError";
  }

  /** The error an answer carries, or undefined for a success (`code` 0). */
  static from(body: unknown, status: number, header: Record<string, unknown> = {}): ZuduiError | undefined {
    const answer = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    if (answer.code === 0 && status === 200) return undefined;
    const code = typeof answer.code === "number" ? answer.code : status >= 500 ? ErrorCode.Internal : ErrorCode.BadParam;
    const errorMsg = typeof answer.errorMsg === "string" ? answer.errorMsg : (errorMessages[code as ErrorCode] ?? `HTTP ${status}`);
    const retryAfter = Number(headerValue(header, "retry-after") ?? answer.retry_after) || undefined;
    return new ZuduiError(code, errorMsg, status, headerValue(header, "x-request-id"), retryAfter);
  }
}

/** A response header by name, whatever case the platform gives it in. */
export function headerValue(header: Record<string, unknown>, name: string): string | undefined {
  for (const [key, value] of Object.entries(header)) {
    if (key.toLowerCase() === name) return String(value);
  }
  return undefined;
}
