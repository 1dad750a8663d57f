import type { LevelsConfig } from '../points/config';

/**
 * Levels by growth: a member holds the highest level whose `minGrowth` its
 * growth reaches. Pure; recomputed whenever growth changes (up or down, so a
 * refund that takes growth back can lower the level).
 */

export interface Level {
  code: string;
  name: string;
}

export interface NextLevel extends Level {
  minGrowth: number;
  /** Growth still missing to reach it. */
  growthNeeded: number;
}

export function levelFor(growth: number, levels: LevelsConfig): Level {
  let current = levels[0]!;
  for (const level of levels) if (growth >= level.minGrowth) current = level;
  return { code: current.code, name: current.name };
}

/** The level after the current one, or null at the top. */
export function nextLevelFor(growth: number, levels: LevelsConfig): NextLevel | null {
  const next = levels.find((level, i) => i > 0 && level.minGrowth > growth);
  return next ? { code: next.code, name: next.name, minGrowth: next.minGrowth, growthNeeded: next.minGrowth - growth } : null;
}

/** The display name of a level code (the code itself if the config no longer lists it). */
export const levelName = (code: string, levels: LevelsConfig): string => levels.find((l) => l.code === code)?.name ?? code;
