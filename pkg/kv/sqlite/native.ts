/**
 * Where better-sqlite3's native addon comes from. Placeholder until the single-executable
 * build carries the addon as a SEA asset: undefined means "the normal node_modules path".
 */
export function betterSqliteNativeBinding(): string | undefined {
  return undefined;
}
