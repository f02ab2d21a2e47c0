/** How an error that ends a run reads on stderr: a JSON line with --json, else the code, the message and the hint. */
import type { AirliftError } from '../errors.js';

export function formatError(e: AirliftError, json: boolean, now: Date = new Date()): string {
  if (json) return JSON.stringify({ type: 'error', time: now.toISOString(), ...e.toJSON() }) + '\n';
  let out = `error [${e.code}]: ${e.message}\n`;
  if (e.hint) out += `hint: ${e.hint}\n`;
  if (e.code === 'E_INTERNAL' && e.cause instanceof Error && e.cause.stack) {
    out += `this is a bug in airlift; please report it with this trace:\n${e.cause.stack}\n`;
  }
  return out;
}
