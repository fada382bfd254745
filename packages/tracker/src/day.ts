/**
 * The local calendar day of a time, `YYYY-MM-DD` (the machine's time zone, or `timeZone`): a key
 * that changes at local midnight, for a counts file per day.
 */
export function localDayKey(at: number = Date.now(), timeZone?: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
