/** A value decoded from a Stripe-style form body: `a[b][0][c]=v` nests objects and arrays. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormParams = { [key: string]: FormValue };

/** Splits `items[0][price]` into `['items', '0', 'price']`; `expand[]` gives `['expand', '']`. */
function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const path = [key.slice(0, open)];
  const pattern = /\[([^\]]*)\]/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(key.slice(open))) !== null) path.push(match[1] ?? '');
  return path;
}

function isContainer(value: FormValue | undefined): value is { [key: string]: FormValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turns objects whose keys are all indices (`0`, `1`, …) into arrays, depth first. */
function arraysFromIndices(value: FormValue): FormValue {
  if (!isContainer(value)) return value;
  const entries = Object.entries(value).map(([key, inner]) => [key, arraysFromIndices(inner)] as const);
  const indexed = entries.length > 0 && entries.every(([key]) => /^\d+$/.test(key));
  if (indexed) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, inner]) => inner);
  }
  return Object.fromEntries(entries);
}

/** Parses a form-encoded body or query string the way the Stripe API reads parameters. */
export function parseStripeForm(body: string): FormParams {
  const root: { [key: string]: FormValue } = {};
  const appendCounters = new Map<string, number>();
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const path = keyPath(rawKey);
    let node = root;
    for (let depth = 0; depth < path.length; depth += 1) {
      let segment = path[depth] ?? '';
      if (segment === '') {
        // `expand[]=a&expand[]=b`: each occurrence appends.
        const prefix = path.slice(0, depth).join('.');
        const next = appendCounters.get(prefix) ?? Object.keys(node).length;
        appendCounters.set(prefix, next + 1);
        segment = String(next);
      }
      if (depth === path.length - 1) {
        node[segment] = value;
      } else {
        const existing = node[segment];
        if (!isContainer(existing)) node[segment] = {};
        node = node[segment] as { [key: string]: FormValue };
      }
    }
  }
  return arraysFromIndices(root) as FormParams;
}
