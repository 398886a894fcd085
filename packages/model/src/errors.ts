/**
 * Every error Kiln raises on purpose carries a stable code (`ERR_FORMAT_TRUNCATED`, ...) so
 * callers can branch on it, metrics can count it, and docs/errors.md can explain it. The HTTP
 * status and the snake_case rejection reason are decided from the code in one catalog later
 * (packages/api), never by the thrower.
 */
export class KilnError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, string | number>>;

  constructor(code: string, message: string, details: Record<string, string | number> = {}) {
    super(message);
    this.name = 'KilnError';
    this.code = code;
    this.details = details;
  }
}

export function isKilnError(err: unknown, code?: string): err is KilnError {
  return err instanceof KilnError && (code === undefined || err.code === code);
}

/** Codes the model raises, with what each means to a user (for docs/errors.md). */
export const MODEL_ERROR_DOCS = {
  ERR_FLAMEBEARER_INVALID:
    'A flamebearer (Pyroscope flame graph JSON) is malformed: a level whose length is not a multiple of 4 (or 7 for a diff), a name index out of range, or a node that lies under no node of the level above.',
} as const;
