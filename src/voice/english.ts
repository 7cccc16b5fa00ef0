/**
 * English text made easier to read aloud before it reaches the engine. Festival reads amounts,
 * percentages, times and "March 5, 2024" well, but spells out numeric dates digit by digit
 * ("2024-03-05" as "two zero two four zero three ..."): those become "March 5, 2024".
 */
const months = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function spokenDate(year: string, month: string, day: string): string | undefined {
  const name = months[Number(month) - 1];
  const dayNumber = Number(day);
  if (!name || dayNumber < 1 || dayNumber > 31) return undefined;
  return `${name} ${dayNumber}, ${year}`;
}

/** `language` decides the order of numeric dates: en-US month first, others day first. */
export function normalizeEnglish(text: string, language: string): string {
  const monthFirst = language === 'en-US';
  return text
    .replace(/\b(\d{4})-(\d{1,2})-(\d{1,2})\b/g, (whole, y: string, m: string, d: string) => {
      return spokenDate(y, m, d) ?? whole;
    })
    .replace(/\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/g, (whole, a: string, b: string, y: string) => {
      return (monthFirst ? spokenDate(y, a, b) : spokenDate(y, b, a)) ?? whole;
    });
}
