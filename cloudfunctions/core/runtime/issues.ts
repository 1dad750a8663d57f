import type * as z from 'zod/mini';

/** A key the caller sent, as far as it is shown back: a name, not a place to carry a value. */
const cut = (key: string) => (key.length > 40 ? `${key.slice(0, 40)}…` : key);
const keyName = (key: string) => JSON.stringify(cut(key));

/** A schema's literal as code writes it: `true`, `"pending"`. */
const literal = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/**
 * What is wrong with a field: zod/mini, with no locale loaded, says only "Invalid input" unless
 * given a message, which tells a partner's developer (or the brand editing its config) nothing.
 */
export function explainIssue(issue: z.core.$ZodIssue): string {
  const origin = 'origin' in issue ? issue.origin : undefined;
  const bound = issue.code === 'too_small' ? issue.minimum : issue.code === 'too_big' ? issue.maximum : undefined;
  const unit = origin === 'array' ? (bound === 1 ? ' entry' : ' entries') : origin === 'string' ? (bound === 1 ? ' character' : ' characters') : '';
  switch (issue.code) {
    case 'invalid_type': return `expected ${issue.expected === 'int' ? 'a whole number' : issue.expected}`;
    case 'too_small': return `must be at least ${issue.minimum}${unit}`;
    case 'too_big': return `must be at most ${issue.maximum}${unit}`;
    case 'not_multiple_of': return `must be a multiple of ${issue.divisor}`;
    // the values the schema takes (a literal's, an enum's), never the one sent
    case 'invalid_value': return `must be ${issue.values.slice(0, 5).map(literal).join(' or ')}${issue.values.length > 5 ? ' or …' : ''}`;
    case 'unrecognized_keys': return `unknown key ${issue.keys.slice(0, 3).map(keyName).join(', ')}${issue.keys.length > 3 ? ', …' : ''}`;
    case 'invalid_format': return issue.message === 'Invalid input' && 'pattern' in issue ? `must match ${issue.pattern}` : issue.message;
    default: return issue.message;
  }
}

/**
 * Failing fields in one line, the first five: `path: what is wrong`. Values are never echoed
 * (they may be personal); `root` names a failure of the whole input.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root: string): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map((part) => (typeof part === 'string' ? cut(part) : String(part))).join('.') || root}: ${explainIssue(issue)}`)
    .join('; ');
}
