/**
 * The first string (value or key) in a parsed request that is not well-formed Unicode, named the
 * way `detail` names fields (`param.tts_query.content`, `audioUrls[2]`); undefined when all are.
 *
 * A lone surrogate (`"\ud800"` in JSON) parses fine but cannot be encoded as UTF-8: it fails far
 * from the door (a subtitle, a file name, a rendered title). The walk is iterative because
 * JSON.parse accepts nesting deeper than the call stack allows.
 */
export function findIllFormed(value: unknown, root = ''): string | undefined {
  const pending: Array<[unknown, string]> = [[value, root]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, field] = next;
    if (typeof item === 'string') {
      if (!item.isWellFormed()) return field || 'body';
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) pending.push([item[i], `${field}[${i}]`]);
    } else if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item as Record<string, unknown>).reverse();
      for (const [key, inner] of entries) {
        const name = field ? `${field}.${key.toWellFormed()}` : key.toWellFormed();
        if (!key.isWellFormed()) return name;
        pending.push([inner, name]);
      }
    }
  }
  return undefined;
}

/** The `problem` of such a field in a 3333 answer. */
export const notWellFormed = 'is not well-formed Unicode text (it holds a lone UTF-16 surrogate)';
