/** A CloudFormation value flattened to text, with the logical ids and export names it refers to. */
export interface Flattened {
  readonly text: string;
  readonly refs: string[];
}

/**
 * Flattens a property value (Fn::Join, Ref, Fn::GetAtt, Fn::ImportValue, Fn::Sub and plain
 * objects) to its literal text, writing `<ref:Id>` where a token stands. A cross-stack
 * reference keeps its export name, which carries the exporting resource's logical id.
 */
export function flatten(value: unknown): Flattened {
  const refs: string[] = [];
  const text = walk(value, refs);
  return { text, refs };
}

function walk(value: unknown, refs: string[]): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, refs)).join(',');
  const obj = value as Record<string, unknown>;
  if ('Ref' in obj) return token(String(obj.Ref), refs);
  if ('Fn::GetAtt' in obj) {
    const target = obj['Fn::GetAtt'];
    return token(Array.isArray(target) ? String(target[0]) : String(target).split('.')[0], refs);
  }
  if ('Fn::ImportValue' in obj) return token(walk(obj['Fn::ImportValue'], refs), refs);
  if ('Fn::Join' in obj) {
    const [separator, parts] = obj['Fn::Join'] as [string, unknown[]];
    return (parts ?? []).map((p) => walk(p, refs)).join(separator);
  }
  // Functions whose value is only known at deployment: a placeholder without quotes (the text may be
  // JSON, such as a dashboard body), keeping the references inside.
  for (const fn of ['Fn::Select', 'Fn::Split', 'Fn::GetAZs', 'Fn::Base64', 'Fn::If', 'Fn::FindInMap']) {
    if (fn in obj) {
      walk(obj[fn], refs);
      return `<${fn}>`;
    }
  }
  if ('Fn::Sub' in obj) {
    const sub = obj['Fn::Sub'];
    const template = Array.isArray(sub) ? String(sub[0]) : String(sub);
    return template.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => token(name.split('.')[0], refs));
  }
  return JSON.stringify(Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typeof v === 'object' ? walk(v, refs) : v])));
}

function token(id: string, refs: string[]): string {
  refs.push(id);
  return `<ref:${id}>`;
}

/** Whether a flattened value refers to the resource `logicalId` (directly or through an export). */
export function refersTo(flat: Flattened, logicalId: string): boolean {
  return flat.refs.some((ref) => ref === logicalId || ref.includes(`Ref${logicalId}`) || ref.includes(`GetAtt${logicalId}`));
}
