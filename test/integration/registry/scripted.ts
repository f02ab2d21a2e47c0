/** Moved to test/harness/scripted.ts (with useScripted in use-scripted.ts); kept for imports from here. */
export { startScripted, type Scripted } from '../../harness/scripted.js';
