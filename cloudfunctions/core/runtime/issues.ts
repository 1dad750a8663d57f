/**
 * Failing fields in one line, the first five: `path: what is wrong`. Values are never echoed
 * (they may be personal); `root` names a failure of the whole input.
 */
export function describeIssues<I extends { path: PropertyKey[]; message: string }>(
  issues: readonly I[],
  root: string,
  explain: (issue: I) => string = (issue) => issue.message,
): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || root}: ${explain(issue)}`)
    .join('; ');
}
