/** Small pieces the config schema's sections share. */
import { z } from 'zod';

/** Upstream and group names become tool prefixes and URL segments, so they are kept simple. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;

export const name = z
  .string()
  .regex(NAME_PATTERN, 'expected 1-48 characters of A-Z a-z 0-9 _ - (starting with a letter or digit)');

export const durationMs = (description: string, dflt: number) =>
  z.number().int().min(0).default(dflt).describe(description);

export const stringMap = z.record(z.string(), z.string());
