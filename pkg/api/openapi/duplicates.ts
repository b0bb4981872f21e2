/**
 * Duplicate keys in raw JSON text. JSON.parse keeps the last of duplicate keys silently;
 * Kubernetes' strict decoder (sigs.k8s.io/json) reports each as `duplicate field "<path>"`,
 * with paths written like unknown fields: `spec.template.spec.containers[0].name`.
 */

/** Paths of every repeated key, in the order the repeats appear. Returns [] for invalid JSON. */
export function duplicateFields(text: string): string[] {
  const found: string[] = [];
  let i = 0;

  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const readString = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++; // closing quote
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string, depth: number): void => {
    if (depth > 2_000) throw new Error('too deep');
    skipSpace();
    const c = text[i];
    if (c === '{') {
      i++;
      const keys = new Set<string>();
      skipSpace();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') throw new Error('expected key');
        const key = readString();
        const child = path === '' ? key : `${path}.${key}`;
        if (keys.has(key)) found.push(child);
        keys.add(key);
        skipSpace();
        if (text[i++] !== ':') throw new Error('expected colon');
        value(child, depth + 1);
        skipSpace();
        const sep = text[i++];
        if (sep === '}') return;
        if (sep !== ',') throw new Error('expected comma');
      }
    } else if (c === '[') {
      i++;
      skipSpace();
      if (text[i] === ']') { i++; return; }
      for (let index = 0; ; index++) {
        value(`${path}[${index}]`, depth + 1);
        skipSpace();
        const sep = text[i++];
        if (sep === ']') return;
        if (sep !== ',') throw new Error('expected comma');
      }
    } else if (c === '"') {
      readString();
    } else {
      while (i < text.length && !',}] \n\r\t'.includes(text[i]!)) i++;
    }
  };

  try {
    value('', 0);
  } catch {
    return [];
  }
  return found;
}
