import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNeverFiresProblem, SCHEDULE_PRESETS, scheduleProblem } from '../../src/config/schedule.js';
import { AIRFLOW_VENVS, venvBin } from '../support/python.js';

/**
 * The schedule rule against croniter itself (the library Airflow's cron timetables use), in
 * each Airflow environment, on a generated corpus of valid, invalid and never-firing
 * expressions: whatever the config language accepts, croniter accepts and fires on (from
 * the rendered DAGs' start, 2024-01-01); whatever it calls "never fires", croniter accepts
 * but cannot find a next date for.
 */

const FIELD_POOLS = [
  [
    '*',
    '0',
    '5',
    '59',
    '60',
    '*/15',
    '0-30',
    '30-10',
    '5/20',
    '0,30',
    '*/0',
    'a',
    '-1',
    '*,5',
    '1-1',
    '00',
    'L',
    '?',
  ],
  ['*', '0', '6', '23', '24', '*/6', '9-17', '17-9', '0,12', '?', 'L', '1-2-3'],
  [
    '*',
    '?',
    '1',
    '15',
    '28',
    '29',
    '30',
    '31',
    '32',
    '0',
    'L',
    'l',
    '15W',
    'LW',
    '1-31',
    '*/2',
    '10-L',
    '31,L',
    '1,15',
    '5#2',
  ],
  [
    '*',
    '1',
    '2',
    '4',
    '12',
    '13',
    '0',
    'FEB',
    'feb',
    'JAN-MAR',
    '*/3',
    '2,4',
    'NOV-FEB',
    '?',
    'jan,jul',
    'L',
  ],
  [
    '*',
    '?',
    '0',
    '1',
    '5',
    '7',
    '8',
    'MON',
    'mon-fri',
    '1-5',
    '5-1',
    '5#3',
    'fri#5',
    '5#6',
    'L5',
    'l0',
    '5L',
    '1,5#2',
    '*/2',
    '6-7',
    '0-6',
    '1-7',
    'sun,sat',
    '5#1,5#3',
    'L',
  ],
];
const SEPARATORS = [' ', ' ', ' ', ' ', '\t', '  ', '\uFEFF', '\u00A0', '\u2003', '\u001C', '\u200B'];

/** Forms croniter accepts that the config language must accept too. */
const MUST_ACCEPT = [
  ...SCHEDULE_PRESETS,
  '0 0 L * *',
  '0 0 * * 5#3',
  '0 0 * * fri#5',
  '0 0 * * L5',
  '0 6 * * 1-5',
  '*/15 * * * *',
  '30 2 1 JAN,JUL *',
  '0 0 29 2 *',
  '0 0 ? * MON',
  '0 6 * * 7',
  '0\t6 * * 1',
];

function corpus(): string[] {
  const field = (i: number) => fc.constantFrom(...(FIELD_POOLS[i] as string[]));
  const expression = fc
    .tuple(
      field(0),
      field(1),
      field(2),
      field(3),
      field(4),
      fc.array(fc.constantFrom(...SEPARATORS), { minLength: 4, maxLength: 4 }),
    )
    .map(([a, b, c, d, e, seps]) =>
      [a, b, c, d, e].reduce((text, part, i) => (i === 0 ? part : `${text}${seps[i - 1]}${part}`)),
    );
  const generated = fc.sample(expression, { numRuns: 3000, seed: 14 });
  const fixed = [
    '0 0 31 2 *',
    '0 0 30 2 *',
    '0 0 31 4,6,9,11 *',
    '0 0 30 2 1',
    '0 0 31 2 5#5',
    '0 0 * 2 5#5',
    '0 6 * *\uFEFF1',
    '0 0 1 1 * *',
    '@annually',
  ];
  return [...new Set([...MUST_ACCEPT, ...fixed, ...generated])];
}

const CRONITER_PROBE = `
import datetime, json, sys
from croniter import croniter
start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
presets = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0",
           "@monthly": "0 0 1 * *", "@quarterly": "0 0 1 */3 *", "@yearly": "0 0 1 1 *"}
out = []
for expr in json.load(sys.stdin):
    if expr == "@once":
        out.append({"valid": True, "fires": True}); continue
    try:
        it = croniter(presets.get(expr, expr), start)
    except Exception:
        out.append({"valid": False, "fires": False}); continue
    try:
        it.get_next(datetime.datetime)
        out.append({"valid": True, "fires": True})
    except Exception:
        out.append({"valid": True, "fires": False})
print(json.dumps(out))
`;

describe.each(AIRFLOW_VENVS)('schedules against croniter ($label)', ({ venv }) => {
  const expressions = corpus();
  const verdicts = JSON.parse(
    execFileSync(venvBin(venv, 'python'), ['-c', CRONITER_PROBE], {
      input: JSON.stringify(expressions),
      encoding: 'utf8',
    }),
  ) as { valid: boolean; fires: boolean }[];

  it('accepts nothing croniter refuses or never fires on', () => {
    const wrong = expressions.filter(
      (e, i) => scheduleProblem(e) === null && !(verdicts[i]?.valid && verdicts[i]?.fires),
    );
    expect(wrong.map((e) => JSON.stringify(e))).toEqual([]);
  });

  it('says "never fires" only where croniter finds no next date', () => {
    const never = expressions.filter((e) => isNeverFiresProblem(scheduleProblem(e)));
    expect(never.length).toBeGreaterThan(3);
    const wrong = never.filter((e) => {
      const v = verdicts[expressions.indexOf(e)];
      return !(v?.valid && !v.fires);
    });
    expect(wrong).toEqual([]);
  });

  it("accepts croniter's L, #, presets and Python whitespace", () => {
    for (const e of MUST_ACCEPT) expect(scheduleProblem(e), e).toBeNull();
    for (const e of MUST_ACCEPT)
      expect(verdicts[expressions.indexOf(e)], e).toEqual({ valid: true, fires: true });
    expect(scheduleProblem('0 6 * *\uFEFF1')).toMatch(/5 fields/);
    expect(scheduleProblem('0 0 31 2 *')).toMatch(/matches no day/);
  });

  it('refuses croniter-valid forms only on purpose: both day fields, wrapping ranges, * in a list, 6 fields', () => {
    const firing = expressions.filter((_, i) => verdicts[i]?.valid && verdicts[i]?.fires);
    const refused = firing.map((e) => scheduleProblem(e)).filter((p): p is string => p !== null);
    expect(firing.length - refused.length).toBeGreaterThan(40);
    const unexpected = refused.filter((p) => !/not both|upward ranges|this one has 6|unknown preset/.test(p));
    expect(unexpected).toEqual([]);
  });
});
