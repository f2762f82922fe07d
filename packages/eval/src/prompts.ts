/**
 * The default prompt set of `dynamo eval`: open-ended sentence beginnings of every kind
 * (declarative, interrogative, imperative, exclamatory), written for this project — different
 * from the paper's ten development prompts, so a report is not tuned on its dev set.
 */
export const DEFAULT_EVAL_PROMPTS: readonly string[] = [
  'My grandmother kept a small garden behind the house, and every spring she',
  'The train was late again, so the passengers',
  'Where did you put the',
  'Why would anyone want to',
  'Remember to lock the',
  'Tell me a story about a',
  'What a beautiful morning! The sun',
  'Oh no, I forgot that',
  'The museum opened a new exhibition about',
  'After the game ended, the coach told the players that',
];

/** Parses a prompt file: one prompt per line, blank lines and lines starting with `#` skipped. */
export function parsePrompts(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}
