/**
 * `repr(x)` (and so `str(x)` and `json.dumps(x)`) of a Python float, for a finite double.
 * Python and JavaScript pick the same shortest round-trip digits; they differ in layout:
 * Python keeps `.0` on whole floats (`5.0`), writes `-0.0`, and switches to exponent form
 * below 1e-4 and from 1e16 (`1e-05`, `1e+16`) with a signed, two-digit exponent.
 */
export function pythonFloatRepr(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`${x} has no JSON form`);
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa = '', exponent = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exponent) + 1; // x = 0.DIGITS * 10^decpt
  if (decpt <= -4 || decpt > 16) {
    const exp = decpt - 1;
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${rest}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}
