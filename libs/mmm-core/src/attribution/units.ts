/** Milliseconds in a day: windows and half-lives are given in days, timestamps in ms. */
export const DAY_MS = 86_400_000;
