/**
 * Validation of DAG schedules by the rules Airflow applies: a preset, or a five-field cron
 * expression that croniter (which Airflow's cron timetables use) accepts. Airflow itself
 * only finds a bad schedule when it imports the DAG file, and a schedule that matches no
 * day imports fine but never runs; checking here turns both into located config errors.
 *
 * The grammar is a subset of croniter's: everything accepted here croniter accepts and
 * fires on (test/airflow/schedule-croniter.test.ts checks a generated corpus against the
 * croniter of the Airflow environments). Accepted per field: `*`, numbers, names (JAN,
 * MON), ranges `a-b` going upward, steps `/n`, lists; `?` for a day field; `L` (last day)
 * in day of month; `d#n` (n-th weekday d of the month) and `Ld` (last weekday d) in day of
 * week. Not accepted: `W` and `H` (croniter rejects them or Airflow gives them no meaning),
 * wrapping ranges (`FRI-MON`), and `*` mixed into a list.
 */

export const SCHEDULE_PRESETS = [
  '@once',
  '@hourly',
  '@daily',
  '@weekly',
  '@monthly',
  '@quarterly',
  '@yearly',
] as const;

/** Python's str.split() whitespace (JavaScript's \s differs: it has U+FEFF, lacks U+001C-U+001F and U+0085). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+001C-U+001F are whitespace to Python
const PYTHON_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Value of names[0]: months start at 1, weekdays at 0. */
  namesStart?: number;
}

const FIELDS: CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesStart: 1 },
  { name: 'day of week', min: 0, max: 6, names: DAY_NAMES, namesStart: 0 },
];

/** What a day-of-month or day-of-week field selects. */
interface DaySelection {
  /** The field was `*` or `?` (croniter's wildcard, which decides AND vs OR of the two). */
  star: boolean;
  values: Set<number>;
  /** Day of month: `L`. */
  last: boolean;
  /** Day of week: weekday → the n-th occurrences (`5#3`), or -1 for the last one (`L5`). */
  nth: Map<number, Set<number>>;
}

/** Returns null when `schedule` is valid and fires, else a sentence saying what is wrong. */
export function scheduleProblem(schedule: string): string | null {
  const parsed = parseSchedule(schedule);
  if ('problem' in parsed) return parsed.problem;
  return neverFiresProblem(parsed);
}

/** True when the problem scheduleProblem reports is that the schedule never fires. */
export function isNeverFiresProblem(problem: string | null): boolean {
  return problem?.startsWith(NEVER_FIRES) ?? false;
}

const NEVER_FIRES = 'it matches no day';

type Parsed =
  | { preset: true }
  | { month: Set<number>; dom: DaySelection; dow: DaySelection; domText: string; dowText: string };

function parseSchedule(schedule: string): Parsed | { problem: string } {
  if (schedule.startsWith('@')) {
    return (SCHEDULE_PRESETS as readonly string[]).includes(schedule)
      ? { preset: true }
      : {
          problem: `unknown preset ${JSON.stringify(schedule)}; Airflow knows ${SCHEDULE_PRESETS.join(', ')}`,
        };
  }
  const parts = schedule.split(PYTHON_WHITESPACE).filter((part) => part !== '');
  if (parts.length !== 5) {
    return {
      problem: `a cron expression has 5 fields (minute hour day-of-month month day-of-week) separated by spaces, this one has ${parts.length}`,
    };
  }
  const selections: DaySelection[] = [];
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i] as CronField;
    const selection = parseField(part, field, i);
    if (selection === null) {
      return {
        problem: `the ${field.name} field ${JSON.stringify(part)} is not valid (allowed ${field.min}-${i === 4 ? 7 : field.max}, *, lists, upward ranges and /steps${DAY_FIELD_EXTRAS[i] ?? ''})`,
      };
    }
    selections.push(selection);
  }
  const [, , dom, month, dow] = selections as [
    DaySelection,
    DaySelection,
    DaySelection,
    DaySelection,
    DaySelection,
  ];
  const domText = parts[2] as string;
  const dowText = parts[4] as string;
  if (!isWildcard(dom, dowText) && !isWildcard(dow, domText)) {
    // croniter then runs on days matching either field, but misses such days whenever the
    // day of month does not exist in a month (`30 2 1`) or `#`/`L` are involved.
    return {
      problem: `restrict the day of month (${JSON.stringify(domText)}) or the day of week (${JSON.stringify(dowText)}), not both: Airflow's cron library combines them unreliably`,
    };
  }
  return { month: month.values, dom, dow, domText, dowText };
}

const DAY_FIELD_EXTRAS: Record<number, string> = {
  2: ', ? or L',
  3: ', JAN-DEC',
  4: ', SUN-SAT, ?, d#n or Ld',
};

function parseField(part: string, field: CronField, index: number): DaySelection | null {
  const selection: DaySelection = { star: false, values: new Set(), last: false, nth: new Map() };
  const items = part.split(',');
  if (items.length > 1 && items.some((item) => item === '*' || item === '?')) return null;
  if ((part === '*' || part === '?') && (part === '*' || index === 2 || index === 4)) {
    selection.star = true;
    for (let v = field.min; v <= field.max; v += 1) selection.values.add(v);
    return selection;
  }
  let special = 0;
  for (const item of items) {
    if (index === 2 && /^l$/i.test(item)) {
      // croniter misses `L` in a list with other days (`31,L` in February).
      if (items.length > 1) return null;
      selection.last = true;
      continue;
    }
    if (index === 4) {
      const nth = /^(\w+)#([1-5])$/.exec(item);
      const last = /^l(\d+)$/i.exec(item);
      if (nth || last) {
        const day = cronValue((nth ? nth[1] : last?.[1]) ?? '', { ...field, max: 7 });
        if (day === null) return null;
        const weekday = day % 7;
        const set = selection.nth.get(weekday) ?? new Set<number>();
        set.add(nth ? Number(nth[2]) : -1);
        selection.nth.set(weekday, set);
        special += 1;
        continue;
      }
    }
    const values = itemValues(item, field, index);
    if (values === null) return null;
    for (const v of values) selection.values.add(v);
  }
  // croniter refuses n-th weekdays mixed with plain weekdays.
  if (special > 0 && selection.values.size > 0) return null;
  return selection;
}

function itemValues(item: string, field: CronField, index: number): number[] | null {
  const [range, step, ...rest] = item.split('/');
  if (rest.length > 0 || range === undefined || range === '') return null;
  if (step !== undefined && !/^[1-9]\d{0,3}$/.test(step)) return null;
  const by = step === undefined ? 1 : Number(step);
  let low: number;
  let high: number;
  if (range === '*') {
    low = field.min;
    high = field.max;
  } else {
    const bounds = range.split('-');
    if (bounds.length > 2) return null;
    // Day of week: 7 is Sunday, as a single value only (croniter reads `1-7` as a wrapping range).
    const limit = index === 4 && bounds.length === 1 && step === undefined ? { ...field, max: 7 } : field;
    const values = bounds.map((b) => cronValue(b, limit));
    if (values.some((v) => v === null)) return null;
    low = values[0] as number;
    high = bounds.length === 2 ? (values[1] as number) : step === undefined ? low : field.max;
    if (bounds.length === 2 && low >= high) return null;
  }
  const out: number[] = [];
  for (let v = low; v <= high; v += by) out.push(index === 4 ? v % 7 : v);
  return out;
}

function cronValue(text: string, field: CronField): number | null {
  if (/^\d{1,2}$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max ? value : null;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  return index >= 0 ? index + (field.namesStart ?? 0) : null;
}

/** croniter's wildcard: `*`, `?`, or a full list when the other day field's text has a `*`. */
function isWildcard(selection: DaySelection, otherText: string): boolean {
  const full = selection.values.size === 7 || selection.values.size === 31;
  return selection.star || (full && !selection.last && selection.nth.size === 0 && otherText.includes('*'));
}

/** Days of the Gregorian calendar repeat every 28 years between 1901 and 2099. */
const CALENDAR_CYCLE_YEARS = 28;
/** The rendered DAGs start on this day (DAG_START in the template). */
const DAG_START_YEAR = 2024;

/** With at most one day field restricted (parseSchedule ensures it), a day must match both. */
function neverFiresProblem(parsed: Parsed): string | null {
  if ('preset' in parsed) return null;
  const { month, dom, dow } = parsed;
  const domStar = isWildcard(dom, parsed.dowText);
  const dowStar = isWildcard(dow, parsed.domText);
  for (let year = DAG_START_YEAR; year < DAG_START_YEAR + CALENDAR_CYCLE_YEARS; year += 1) {
    for (const m of month) {
      const length = new Date(Date.UTC(year, m, 0)).getUTCDate();
      for (let day = 1; day <= length; day += 1) {
        const weekday = new Date(Date.UTC(year, m - 1, day)).getUTCDay();
        const domMatch = domStar || dom.values.has(day) || (dom.last && day === length);
        const nth = dow.nth.get(weekday);
        const dowMatch =
          dowStar ||
          dow.values.has(weekday) ||
          (nth !== undefined && (nth.has(Math.ceil(day / 7)) || (nth.has(-1) && day + 7 > length)));
        if (domMatch && dowMatch) return null;
      }
    }
  }
  return `${NEVER_FIRES}: no date has this day of month, month and day of week, so the DAG would never run`;
}
