/**
 * Validation of DAG schedules: a five-field cron expression or one of Airflow's presets.
 * Airflow itself only finds a bad schedule when it imports the DAG file; checking here
 * turns that silent import error into a located config error.
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
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES, namesStart: 0 },
];

/** Returns null when `schedule` is valid, else a sentence saying what is wrong. */
export function scheduleProblem(schedule: string): string | null {
  if (schedule.startsWith('@')) {
    return (SCHEDULE_PRESETS as readonly string[]).includes(schedule)
      ? null
      : `unknown preset ${JSON.stringify(schedule)}; Airflow knows ${SCHEDULE_PRESETS.join(', ')}`;
  }
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 5) {
    return `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${parts.length}`;
  }
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i] as CronField;
    if (!part.split(',').every((item) => isValidCronItem(item, field))) {
      return `the ${field.name} field ${JSON.stringify(part)} is not valid (allowed ${field.min}-${field.max}, *, lists, ranges and /steps)`;
    }
  }
  return null;
}

function isValidCronItem(item: string, field: CronField): boolean {
  const [range, step, ...rest] = item.split('/');
  if (rest.length > 0 || range === undefined) return false;
  if (step !== undefined && !/^[1-9]\d*$/.test(step)) return false;
  if (range === '*') return true;
  const bounds = range.split('-');
  if (bounds.length > 2) return false;
  const values = bounds.map((b) => cronValue(b, field));
  if (values.some((v) => v === null)) return false;
  const [low, high] = values as number[];
  return high === undefined || (low as number) <= high;
}

function cronValue(text: string, field: CronField): number | null {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max ? value : null;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  return index >= 0 ? index + (field.namesStart ?? 0) : null;
}
