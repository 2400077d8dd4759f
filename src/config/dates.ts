const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * True for a calendar date written exactly as `YYYY-MM-DD` (2024-02-29 yes, 2023-02-30 no).
 * YAML 1.2's core schema has no timestamp type, so dates reach us as strings; anything
 * else (`2023-1-5`, `2023-01-05T00:00`) is refused rather than guessed.
 */
export function isIsoCalendarDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
