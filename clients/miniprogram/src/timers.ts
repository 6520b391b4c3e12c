// The timers of the mini-program's (and Node's) global scope, which ES2017's lib does not declare.
declare function setTimeout(handler: () => void, ms: number): unknown;
declare function clearTimeout(id: unknown): void;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `handler` after `ms`; the answer cancels it. */
export function later(handler: () => void, ms: number): () => void {
  const id = setTimeout(handler, ms);
  return () => clearTimeout(id);
}
