// What the pages use of the browser beyond TypeScript's DOM library (types only: tsc reads this
// file, the browser never loads it).

// HTML's timers take any value as the id and ignore one that names no timer: the pages keep
// "no timer" as null and clear it without asking.
declare function clearTimeout(id: number | null | undefined): void;
declare function clearInterval(id: number | null | undefined): void;

interface Window {
  /** Safari before 14.1 names the Web Audio context with a prefix. */
  webkitAudioContext?: typeof AudioContext;
}
