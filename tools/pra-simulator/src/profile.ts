/** How much a simulated site does. Every field has a default; see README. */
export interface Profile {
  /** Mean number of sessions starting per minute, per site (Poisson). */
  sessionsPerMinute: number;
  /** Mean number of events per session (each session gets 0.5x to 1.5x of it, at least participants + 4). */
  eventsPerSession: number;
  /** Most representatives in one session (the owner plus invited ones). */
  participants: number;
  /** Share of sessions that last hours instead of minutes, so some are always running. */
  runningShare: number;
  /** Typical length of an ordinary session, in minutes (drawn from 2 minutes to twice this). */
  sessionMinutes: number;
  /** Typical length of a long session, in hours (drawn from 1 hour to twice this). */
  longSessionHours: number;
}

export const DEFAULT_PROFILE: Readonly<Profile> = Object.freeze({
  sessionsPerMinute: 0.5,
  eventsPerSession: 24,
  participants: 3,
  runningShare: 0.1,
  sessionMinutes: 20,
  longSessionHours: 4,
});

export function resolveProfile(partial: Partial<Profile> | undefined): Profile {
  const profile = { ...DEFAULT_PROFILE, ...(partial ?? {}) };
  const checks: [keyof Profile, boolean][] = [
    ['sessionsPerMinute', profile.sessionsPerMinute >= 0 && profile.sessionsPerMinute <= 60_000],
    ['eventsPerSession', profile.eventsPerSession >= 1 && Number.isFinite(profile.eventsPerSession)],
    ['participants', Number.isInteger(profile.participants) && profile.participants >= 1 && profile.participants <= 50],
    ['runningShare', profile.runningShare >= 0 && profile.runningShare <= 1],
    ['sessionMinutes', profile.sessionMinutes >= 1],
    ['longSessionHours', profile.longSessionHours >= 1],
  ];
  for (const [key, ok] of checks) {
    if (!ok) throw new Error(`Profile ${key} ${String(profile[key])} is out of range`);
  }
  return profile;
}
