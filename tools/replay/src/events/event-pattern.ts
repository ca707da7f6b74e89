/**
 * EventBridge's event pattern matching, for the filters the synthesized rules
 * use and the documented ones around them: exact values (a list is OR),
 * nested objects (AND), `prefix`, `suffix`, `anything-but` (value, list or
 * `{prefix}`), `exists`, `numeric` ranges, and `equals-ignore-case`. An array
 * in the event matches when any element matches. A filter it does not know
 * is an error, never a silent match.
 */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return matchObject(pattern, event, '');
}

function matchObject(pattern: Record<string, unknown>, value: unknown, at: string): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    const field = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
    const path = at ? `${at}.${key}` : key;
    if (Array.isArray(rule)) {
      if (!matchList(rule, field, path)) return false;
    } else if (rule !== null && typeof rule === 'object') {
      if (!matchObject(rule as Record<string, unknown>, field, path)) return false;
    } else {
      throw new Error(`Event pattern field ${path}: a value must be a list or an object, not ${JSON.stringify(rule)}.`);
    }
  }
  return true;
}

function matchList(rules: unknown[], field: unknown, path: string): boolean {
  const candidates = Array.isArray(field) ? field : [field];
  // exists:false matches only when the field is absent, which a candidate loop cannot see.
  for (const rule of rules) {
    if (rule !== null && typeof rule === 'object' && 'exists' in (rule as object)) {
      const wanted = (rule as { exists: boolean }).exists;
      if ((field !== undefined) === wanted) return true;
      continue;
    }
    if (field === undefined) continue;
    if (candidates.some((c) => matchOne(rule, c, path))) return true;
  }
  return false;
}

function matchOne(rule: unknown, value: unknown, path: string): boolean {
  if (rule === null || typeof rule !== 'object') return rule === value;
  const filter = rule as Record<string, unknown>;
  const [name] = Object.keys(filter);
  const arg = filter[name];
  switch (name) {
    case 'prefix':
      if (arg !== null && typeof arg === 'object') return typeof value === 'string' && value.toLowerCase().startsWith(String((arg as any)['equals-ignore-case']).toLowerCase());
      return typeof value === 'string' && value.startsWith(String(arg));
    case 'suffix':
      return typeof value === 'string' && value.endsWith(String(arg));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(arg).toLowerCase();
    case 'anything-but': {
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg)) {
        const inner = arg as Record<string, unknown>;
        if ('prefix' in inner) return typeof value === 'string' && !value.startsWith(String(inner.prefix));
        if ('suffix' in inner) return typeof value === 'string' && !value.endsWith(String(inner.suffix));
        throw new Error(`Event pattern field ${path}: anything-but ${JSON.stringify(arg)} is not supported by the replay.`);
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.includes(value);
    }
    case 'numeric': {
      if (typeof value !== 'number') return false;
      const terms = arg as unknown[];
      for (let i = 0; i < terms.length; i += 2) {
        const op = terms[i];
        const bound = Number(terms[i + 1]);
        const ok = op === '>' ? value > bound : op === '>=' ? value >= bound : op === '<' ? value < bound : op === '<=' ? value <= bound : op === '=' ? value === bound : undefined;
        if (ok === undefined) throw new Error(`Event pattern field ${path}: numeric operator ${String(op)} is not known.`);
        if (!ok) return false;
      }
      return true;
    }
    default:
      throw new Error(`Event pattern field ${path}: the filter ${JSON.stringify(rule)} is not supported by the replay.`);
  }
}
