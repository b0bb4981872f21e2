/**
 * Go's ways of printing values that end up in Kubernetes' messages: %q of strings and string
 * slices, and the text of an aggregate of errors. Clients show these messages as they are.
 */

/** Go's %q for a string (strconv.Quote); JSON's escaping agrees for printable text. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's %q for a []string: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}

/**
 * The text of utilerrors.NewAggregate: one message alone as it is, several (duplicates
 * dropped) as `[a, b]`, none as ''.
 */
export function aggregateMessage(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (messages.length === 1 || unique.length === 1) return unique[0] ?? '';
  return unique.length === 0 ? '' : `[${unique.join(', ')}]`;
}
