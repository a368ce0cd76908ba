/** The one source of "now" for services; engine functions take time as an argument instead. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
