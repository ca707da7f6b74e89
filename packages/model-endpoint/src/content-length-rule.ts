/**
 * A WAF regular expression that matches a `Content-Length` value greater than
 * a limit. WAF measures a body only up to its inspection limit (16 KB for API
 * Gateway by default), so a size rule at the API's real limit (megabytes) has
 * to read the declared length instead.
 *
 * The pattern uses no groups (WAF supports no capturing subexpressions): one
 * anchored alternative for longer numbers and one per digit that can be
 * raised, e.g. 5242880 gives
 * `^0*[1-9][0-9]{7,}$|^0*[6-9][0-9]{6}$|^0*5[3-9][0-9]{5}$|...|^0*524288[1-9]$`.
 */
export function contentLengthAbovePattern(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`The body limit must be a whole number of bytes of at least 1, got ${limit}.`);
  const digits = String(limit);
  const alternatives = [`^0*[1-9][0-9]{${digits.length},}$`];
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const rest = digits.length - i - 1;
    const higher = digit === 8 ? '9' : `[${digit + 1}-9]`;
    alternatives.push(`^0*${digits.slice(0, i)}${higher}${rest > 0 ? `[0-9]{${rest}}` : ''}$`);
  }
  return alternatives.join('|');
}
